/**
 * Blob uploads: POST (session, monolithic, mount), PATCH (streamed or chunked), GET status,
 * PUT (finalise, with an optional last chunk) and DELETE (cancel).
 *
 * Every byte is hashed on its way in; a blob becomes visible only through commitUpload() with
 * the digest computed here and checked against the one the client claims.
 */
import { randomUUID } from 'node:crypto';
import { declaredLength, hasBody, tap } from '../body.js';
import { parseDigest, parseDigestAlgorithm, type Digest, type DigestAlgorithm } from '../digest.js';
import { RegistryError } from '../errors.js';
import { SLOT_BYTES, ThreadHasher } from '../hash-thread.js';
import { type KeepableHasher, NativeHasher, ResumableHasher, type UploadHasher } from '../hashing.js';
import type { RegistryContext } from '../context.js';
import { claimStoredUpload, DEFAULT_UPLOAD_LEASE, hasLiveLease, type UploadClaim } from '../upload-claim.js';
import { permits, response, type RegistryRequest, type RegistryResponse } from '../messages.js';
import { validateName } from '../names.js';
import { linkStored } from '../blob-links.js';
import { parseContentRange } from '../ranges.js';
import { uploadStateHeaders } from '../error-response.js';
import type { UploadSession } from '../../ports/metadata-store.js';
import type { RegistryOperation } from '../operation.js';
import { LiveHashers } from '../live-hashers.js';

/**
 * Native hash states of the uploads each registry (its context) writes in this process, between
 * their requests (../live-hashers.ts). Kept here rather than on RegistryContext so that bundles
 * without upload operations (the ping's Lambda) carry none of it.
 */
const liveHashers = new WeakMap<RegistryContext, LiveHashers>();
function hashersOf(ctx: RegistryContext): LiveHashers {
  let hashers = liveHashers.get(ctx);
  if (!hashers) {
    hashers = new LiveHashers();
    liveHashers.set(ctx, hashers);
  }
  return hashers;
}

const uploadPath = (name: string, id: string) => `/v2/${name}/blobs/uploads/${id}`;
const blobPath = (name: string, digest: string) => `/v2/${name}/blobs/${digest}`;

/** Where the upload stands, as its 202s, its 204 and its out-of-order 416 say. */
const uploadState = (session: UploadSession) => ({ location: uploadPath(session.repository, session.id), id: session.id, offset: session.offset });

function sessionHeaders(session: UploadSession, chunkMinLength?: number): Record<string, string> {
  return {
    ...uploadStateHeaders(uploadState(session)),
    'content-length': '0',
    ...(chunkMinLength !== undefined && { 'oci-chunk-min-length': String(chunkMinLength) }),
  };
}

function blobCreated(name: string, digest: string): RegistryResponse {
  return response(201, { location: blobPath(name, digest), 'docker-content-digest': digest, 'content-length': '0' });
}

function uploadUnknown(id: string): RegistryError {
  return new RegistryError(
    'BLOB_UPLOAD_UNKNOWN',
    `upload ${id.slice(0, 100)} is unknown: it was finished, cancelled or never started; start a new one with POST /v2/<name>/blobs/uploads/`,
  );
}

/** How many holders of a blob a mount without `from` considers when the caller's access must be checked. */
const MOUNT_CANDIDATES = 100;

async function loadSession(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<UploadSession> {
  const id = req.params.uuid ?? '';
  const session = /^[A-Za-z0-9-]{1,64}$/.test(id) ? await ctx.metadata.getUpload(id) : null;
  if (!session || session.repository !== name) throw uploadUnknown(id);
  return session;
}

// ---------------------------------------------------------------------------------------------
// POST

export async function startUpload(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  const mount = req.query.get('mount');
  if (mount !== null) {
    const mounted = await tryMount(ctx, name, parseDigest(mount), req.query.get('from'), req);
    if (mounted) return mounted;
  }
  const digestParam = req.query.get('digest');
  if (digestParam !== null) return monolithicUpload(ctx, name, parseDigest(digestParam), req);

  const algorithmParam = req.query.get('digest-algorithm');
  const algorithm = algorithmParam === null ? 'sha256' : parseDigestAlgorithm(algorithmParam);
  const id = randomUUID();
  const session: UploadSession = {
    id,
    repository: name,
    offset: 0,
    startedAt: new Date().toISOString(),
    algorithm,
    hashState: null,
    digestSoFar: null,
    storageState: await ctx.blobs.createUpload(id),
    lease: null,
    version: 0,
  };
  await ctx.metadata.createUpload(session);
  return response(202, sessionHeaders(session, ctx.limits.chunkMinLength));
}

/**
 * Cross-repository mount. With `from`, the blob must be linked there; without it, any
 * repository holding the blob will do. Nothing is mounted from a repository the caller may not
 * pull: a mount would otherwise copy content the caller cannot read into one it can. Anything
 * else falls back to a normal upload (202), so the refusal reveals nothing about the source.
 */
async function tryMount(ctx: RegistryContext, name: string, digest: Digest, from: string | null, req: RegistryRequest): Promise<RegistryResponse | null> {
  let source: string | undefined;
  if (from !== null && from !== '') {
    validateName(from);
    if (permits(req, from, 'pull') && (await ctx.metadata.getBlobLink(from, digest.value))) source = from;
  } else {
    // Without auth any holder will do (one lookup); with it, the first the caller may pull.
    const candidates = await ctx.metadata.findBlobRepositories(digest.value, req.permits ? MOUNT_CANDIDATES : 1);
    source = candidates.find((repository) => permits(req, repository, 'pull'));
  }
  if (source === undefined) return null;
  const stored = await ctx.blobs.stat(digest.value);
  if (!stored) return null;
  // Collected between the stat and the link: a normal upload follows, as for any absent source.
  if (!(await linkStored(ctx, name, digest.value, stored.size))) return null;
  return blobCreated(name, digest.value);
}

/** POST ?digest= with the whole blob as its body. */
async function monolithicUpload(ctx: RegistryContext, name: string, digest: Digest, req: RegistryRequest): Promise<RegistryResponse> {
  const id = randomUUID();
  let state = await ctx.blobs.createUpload(id);
  let size = 0;
  try {
    const expected = declaredLength(req.headers);
    const hasher = nativeHasher(ctx, digest.algorithm, expected);
    const written = await ctx.blobs.writeUpload(
      id,
      state,
      0,
      tap(req.body, (c) => hasher.update(c), expected),
    );
    state = written.state;
    size = written.written;
    checkLength(expected, size);
    checkDigest(digest, await hasher.digestSoFar());
  } catch (err) {
    await ctx.blobs.deleteUpload(id, state);
    throw err;
  }
  await commitBlob(ctx, name, id, state, size, digest.value);
  return blobCreated(name, digest.value);
}

// ---------------------------------------------------------------------------------------------
// PATCH, GET, DELETE

export async function patchUpload(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  const { claim, plan } = await claimForWrite(ctx, name, req);
  try {
    const { session: next } = await writeRequestBody(ctx, claim, req, plan, false);
    return response(202, sessionHeaders(next));
  } finally {
    await claim.end();
  }
}

export async function getUpload(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  const session = await loadSession(ctx, name, req);
  return response(204, sessionHeaders(session));
}

/**
 * DELETE wins over a writer, as it always has: the session goes (conditionally on the version
 * whose storage state is then deleted), and a writer still streaming loses at its next write.
 */
export async function cancelUpload(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  let session = await loadSession(ctx, name, req);
  for (let attempt = 1; !(await ctx.metadata.deleteUpload(session.id, session.version)); attempt++) {
    if (attempt === CANCEL_ATTEMPTS) throw concurrentWrite();
    session = await loadSession(ctx, name, req); // moved on (a lease renewal): read it again
  }
  await ctx.blobs.deleteUpload(session.id, session.storageState);
  hashersOf(ctx).forget(session.id);
  return response(204, { 'content-length': '0' });
}

/** Reads a DELETE makes of a session that keeps moving (a writer renews at most every few seconds). */
const CANCEL_ATTEMPTS = 3;

// ---------------------------------------------------------------------------------------------
// PUT

export async function putUpload(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  const digestParam = req.query.get('digest');
  if (digestParam === null || digestParam === '') {
    throw new RegistryError('DIGEST_INVALID', 'finishing an upload needs the blob digest: PUT <location>?digest=<algorithm>:<hex>');
  }
  const digest = parseDigest(digestParam);
  if (!hasBody(req.headers)) return finishUpload(ctx, name, req, digest);
  // Claimed: no other request may write while this one appends its last chunk and commits.
  const { claim, plan } = await claimForWrite(ctx, name, req);
  try {
    // A PUT that carries the whole blob (nothing written before it) is hashed in the algorithm
    // of its own digest, whatever the POST announced: no store has to re-read it then.
    const algorithm = claim.session.offset === 0 ? digest.algorithm : claim.session.algorithm;
    const { session: current, hasher } = await writeRequestBody(ctx, claim, req, plan, true, algorithm);
    try {
      checkDigest(digest, await finalDigest(ctx, current, digest.algorithm, hasher));
    } catch (err) {
      await discardUpload(ctx, claim);
      throw err;
    }
    // Verified. A failure from here on is the store's, not the content's: the session stays (its
    // lease released) so the client can retry the PUT (committing is idempotent).
    await commitBlob(ctx, name, current.id, current.storageState, current.offset, digest.value);
    hashersOf(ctx).forget(current.id);
    // Only a holder that lost its lease finds the session moved on; the blob it committed is
    // verified either way, and the session's new holder fails its own commit or finishes cleanly.
    await claim.commit();
    return blobCreated(name, digest.value);
  } finally {
    await claim.end();
  }
}

/**
 * PUT ?digest= without a body (docker, skopeo: the bytes came in PATCHes). The session is taken
 * by deleting it in one conditional write that returns it (MetadataStore.takeUpload): refused
 * while another request's lease is live (a chunk still being written), and once it is gone no
 * request can claim it. That is the read, the claim and the end of the session in one write.
 * Should the digest not be computable here, or committing or linking fail, the session is put
 * back (lease-free, at its offset) so that the client can retry the PUT.
 */
async function finishUpload(ctx: RegistryContext, name: string, req: RegistryRequest, digest: Digest): Promise<RegistryResponse> {
  const id = req.params.uuid ?? '';
  const took = /^[A-Za-z0-9-]{1,64}$/.test(id) ? await ctx.metadata.takeUpload(id, name, new Date().toISOString()) : { taken: null };
  if ('busy' in took) throw concurrentWrite();
  const session = took.taken;
  if (!session) throw uploadUnknown(id);
  const putBack = () => ctx.metadata.createUpload({ ...session, lease: null, version: session.version + 1 }).catch(() => {});
  let actual: string;
  try {
    actual = await finalDigest(ctx, session, digest.algorithm);
  } catch (err) {
    await putBack();
    throw err;
  }
  hashersOf(ctx).forget(session.id);
  if (actual !== digest.value) {
    await ctx.blobs.deleteUpload(session.id, session.storageState);
    checkDigest(digest, actual);
  }
  try {
    await commitBlob(ctx, name, session.id, session.storageState, session.offset, digest.value);
  } catch (err) {
    await putBack();
    throw err;
  }
  return blobCreated(name, digest.value);
}

// ---------------------------------------------------------------------------------------------
// Shared steps

/** Refuses a body whose length differs from its Content-Length (the write is then not kept). */
function checkLength(expected: number | undefined, written: number): void {
  if (expected !== undefined && written !== expected) {
    throw new RegistryError('SIZE_INVALID', `received ${written} bytes but Content-Length said ${expected}`, { detail: { expected, received: written } });
  }
}

function checkDigest(claimed: Digest, actual: string): void {
  if (actual !== claimed.value) {
    throw new RegistryError('DIGEST_INVALID', `uploaded content has digest ${actual}, not ${claimed.value}: the upload was discarded, push the blob again`, {
      detail: { expected: claimed.value, actual },
    });
  }
}

/** Makes verified content visible as a blob and links it to the repository. */
async function commitBlob(ctx: RegistryContext, name: string, id: string, state: unknown, size: number, digest: string): Promise<void> {
  await ctx.blobs.commitUpload(id, state, size, digest);
  if (!(await linkStored(ctx, name, digest, size))) {
    throw new RegistryError('UNAVAILABLE', `blob ${digest} was being garbage-collected while this upload committed it: push the blob again`, { detail: { digest } });
  }
}

async function discardUpload(ctx: RegistryContext, claim: UploadClaim): Promise<void> {
  hashersOf(ctx).forget(claim.session.id);
  await ctx.blobs.deleteUpload(claim.session.id, claim.session.storageState);
  await claim.commit();
}

/** How a request body is to be appended: its expected length (a chunk's from its Content-Range). */
interface WritePlan {
  expected: number | undefined;
}

/**
 * Reads what a request that carries bytes asks for, before anything is claimed. With
 * Content-Range the request is a chunk, which must start at the session's offset (checked by
 * the claim). Without it the body is streamed.
 */
function planWrite(req: RegistryRequest): WritePlan & { start?: number } {
  const contentLength = declaredLength(req.headers);
  const rangeHeader = req.headers['content-range'];
  if (rangeHeader === undefined) return { expected: contentLength };
  const range = parseContentRange(rangeHeader);
  const expected = range.end - range.start + 1;
  if (contentLength !== undefined && contentLength !== expected) {
    throw new RegistryError('SIZE_INVALID', `Content-Length ${contentLength} does not match Content-Range ${rangeHeader} (${expected} bytes)`);
  }
  return { expected, start: range.start };
}

/** The first byte a chunk's Content-Range names, or undefined (no header, or one that does not parse). */
function rangeStartOf(req: RegistryRequest): number | undefined {
  const header = req.headers['content-range'];
  if (header === undefined) return undefined;
  try {
    return parseContentRange(header).start;
  } catch {
    return undefined;
  }
}

/** Why a session refused a write: another request holds it (416), or a chunk starts elsewhere than its offset (416 with the offset). */
function refusal(session: UploadSession, start: number | undefined): RegistryError {
  if (hasLiveLease(session) || start === undefined || start === session.offset) return concurrentWrite();
  return new RegistryError('UPLOAD_OUT_OF_ORDER', `chunk starts at byte ${start} but the upload has ${session.offset} bytes: send the chunk that starts at ${session.offset}`, {
    upload: uploadState(session),
    detail: { offset: session.offset, rangeStart: start },
  });
}

/**
 * Claims the request's session for writing its body, in one conditional write that also returns
 * the session (no read first); a chunk's claim holds only at the chunk's start. A refused claim
 * reads the session once to answer why (unknown, busy, or out of order).
 */
async function claimForWrite(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<{ claim: UploadClaim; plan: WritePlan }> {
  const id = req.params.uuid ?? '';
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw uploadUnknown(id);
  let plan: ReturnType<typeof planWrite>;
  try {
    plan = planWrite(req);
  } catch (err) {
    // An unknown upload is answered as such first, then a chunk out of order (416) before a
    // malformed one: a client resends from the offset the 416 gives.
    const session = await loadSession(ctx, name, req);
    const start = rangeStartOf(req);
    if (start !== undefined && start !== session.offset) throw refusal(session, start);
    throw err;
  }
  const claimed = await claimStoredUpload(ctx.metadata, id, name, ctx.limits.uploadLease ?? DEFAULT_UPLOAD_LEASE, plan.start);
  if ('refused' in claimed) {
    if (!claimed.refused) throw uploadUnknown(id);
    throw refusal(claimed.refused, plan.start);
  }
  return { claim: claimed, plan };
}

/**
 * Appends the request body under the claim and records the new offset with what continuing
 * needs: on a store that can be re-read every body is hashed natively (its digest so far is
 * saved, its hasher kept in this process for the next chunk: ../live-hashers.ts); otherwise
 * with the resumable hasher whose state is saved with the session. Only a claimed request
 * writes, so a racing one never writes a byte; a writer that dies leaves only bytes past the
 * recorded offset, which the next writer replaces once the lease has expired.
 */
async function writeRequestBody(
  ctx: RegistryContext,
  claim: UploadClaim,
  req: RegistryRequest,
  plan: WritePlan,
  keepLease: boolean,
  algorithm: DigestAlgorithm = claim.session.algorithm,
): Promise<{ session: UploadSession; hasher: UploadHasher }> {
  const session = { ...claim.session, algorithm };
  // Natively (node:crypto) whenever the store can be re-read; resumable state only for a store
  // that cannot (S3), where a catch-up re-read is impossible.
  const hasher = await hasherAt(ctx, session, !ctx.blobs.uploadsReadable, plan.expected);
  const feed = (chunk: Uint8Array) => {
    // A holder whose lease ran out may have been replaced: it must not write another byte.
    if (claim.lost) throw concurrentWrite();
    return hasher.update(chunk);
  };
  // On failure the claim is released by the caller, at the unchanged offset, so the client can
  // resend this chunk at once.
  const written = await ctx.blobs.writeUpload(session.id, session.storageState, session.offset, tap(req.body, feed, plan.expected ?? Number.POSITIVE_INFINITY));
  checkLength(plan.expected, written.written);
  const progress = {
    algorithm,
    offset: session.offset + written.written,
    storageState: written.state,
    hashState: hasher.saveState(),
    digestSoFar: await hasher.digestSoFar(),
  };
  if (!(await claim.record(progress, keepLease))) {
    // Cancelled while writing: what this request wrote belongs to no session, so it goes too.
    if (!(await ctx.metadata.getUpload(session.id))) await ctx.blobs.deleteUpload(session.id, written.state).catch(() => {});
    throw concurrentWrite();
  }
  if (isKeepable(hasher)) hashersOf(ctx).keep(session.id, progress.offset, hasher);
  return { session: claim.session, hasher };
}

/** Refuses a request while another one holds the upload: the client checks the status and resends. */
function concurrentWrite(): RegistryError {
  return new RegistryError('UPLOAD_OUT_OF_ORDER', 'another request is writing to this upload at the same offset: check the upload status and resend from its offset');
}

/**
 * A native hasher for a body of `bodyBytes` (undefined: not known in advance). On a store that can
 * be re-read (the filesystem, so a long-lived server process) a body of a slot or more is hashed
 * on the process's hashing thread (../hash-thread.ts), beside the event loop that receives it;
 * a smaller one at once, as a round trip to the thread would cost more than hashing it.
 */
function nativeHasher(ctx: RegistryContext, algorithm: DigestAlgorithm, bodyBytes: number | undefined): KeepableHasher {
  if (ctx.blobs.uploadsReadable && (bodyBytes === undefined || bodyBytes >= SLOT_BYTES)) return ThreadHasher.create(algorithm);
  return new NativeHasher(algorithm);
}

function isKeepable(hasher: UploadHasher): hasher is KeepableHasher {
  return hasher instanceof NativeHasher || hasher instanceof ThreadHasher;
}

/** A hasher positioned at the session's offset, rebuilt as cheaply as possible. */
async function hasherAt(ctx: RegistryContext, session: UploadSession, resumable: boolean, bodyBytes: number | undefined): Promise<UploadHasher> {
  const { algorithm, offset } = session;
  if (resumable) {
    if (offset === 0 || session.hashState) return ResumableHasher.create(algorithm, session.hashState);
    return catchUp(ctx, session, await ResumableHasher.create(algorithm));
  }
  if (offset === 0) return nativeHasher(ctx, algorithm, bodyBytes);
  const live = hashersOf(ctx).take(session.id, algorithm, offset);
  if (live) return live;
  // A session an earlier release left with a resumable state goes on with it.
  if (session.hashState) return ResumableHasher.create(algorithm, session.hashState);
  return catchUp(ctx, session, new NativeHasher(algorithm));
}

/**
 * Rebuilds a hash state by re-reading what the upload holds (a request continuing an upload
 * whose hasher this process does not hold, or a digest in another algorithm than the
 * session's). The session is the stored one: its algorithm is the one its bytes were hashed
 * with, which the refusal names.
 */
async function catchUp<H extends UploadHasher>(ctx: RegistryContext, session: UploadSession, hasher: H): Promise<H> {
  if (!ctx.blobs.uploadsReadable) {
    // Only reachable when the client finishes with another algorithm than the bytes sent before the PUT were hashed with.
    throw new RegistryError(
      'DIGEST_INVALID',
      `this upload was hashed with ${session.algorithm}: finish it with a ${session.algorithm} digest, send the whole blob in the PUT, or start it with ?digest-algorithm=<algorithm>`,
      { detail: { algorithm: session.algorithm } },
    );
  }
  for await (const chunk of ctx.blobs.readUpload(session.id, session.storageState, session.offset)) await hasher.update(chunk);
  return hasher;
}

/** Digest of the whole upload in the algorithm the client asked for. */
async function finalDigest(ctx: RegistryContext, session: UploadSession, algorithm: DigestAlgorithm, hasher?: UploadHasher): Promise<string> {
  if (algorithm === session.algorithm) {
    if (hasher) return hasher.digestSoFar();
    if (session.digestSoFar) return session.digestSoFar;
    if (session.offset === 0) return new NativeHasher(algorithm).digestSoFar();
    if (session.hashState) return (await ResumableHasher.create(algorithm, session.hashState)).digestSoFar();
  }
  // The client switched algorithms after starting: the one case that re-reads the whole upload.
  return (await catchUp(ctx, session, new NativeHasher(algorithm))).digestSoFar();
}

// Registrations (../operation.ts): one descriptor per route-table operation of this module.
export const startUploadOperation: RegistryOperation = { kind: 'registry', operation: 'startUpload', ports: ['metadata', 'blobs'], run: startUpload };
export const getUploadOperation: RegistryOperation = { kind: 'registry', operation: 'getUpload', ports: ['metadata'], run: getUpload };
export const patchUploadOperation: RegistryOperation = { kind: 'registry', operation: 'patchUpload', ports: ['metadata', 'blobs'], run: patchUpload };
export const putUploadOperation: RegistryOperation = { kind: 'registry', operation: 'putUpload', ports: ['metadata', 'blobs'], run: putUpload };
export const cancelUploadOperation: RegistryOperation = { kind: 'registry', operation: 'cancelUpload', ports: ['metadata', 'blobs'], run: cancelUpload };
