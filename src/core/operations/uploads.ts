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
import { NativeHasher, ResumableHasher, type UploadHasher } from '../hashing.js';
import type { RegistryContext } from '../context.js';
import { permits, response, type RegistryRequest, type RegistryResponse } from '../messages.js';
import { validateName } from '../names.js';
import { parseContentRange, uploadRangeHeader } from '../ranges.js';
import type { UploadSession } from '../../ports/metadata-store.js';
import type { RegistryOperation } from '../operation.js';

const uploadPath = (name: string, id: string) => `/v2/${name}/blobs/uploads/${id}`;
const blobPath = (name: string, digest: string) => `/v2/${name}/blobs/${digest}`;

function sessionHeaders(session: UploadSession, chunkMinLength?: number): Record<string, string> {
  return {
    location: uploadPath(session.repository, session.id),
    range: uploadRangeHeader(session.offset),
    'docker-upload-uuid': session.id,
    'content-length': '0',
    ...(chunkMinLength !== undefined && { 'oci-chunk-min-length': String(chunkMinLength) }),
  };
}

function blobCreated(name: string, digest: string): RegistryResponse {
  return response(201, { location: blobPath(name, digest), 'docker-content-digest': digest, 'content-length': '0' });
}

function uploadUnknown(id: string): RegistryError {
  return new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${id.slice(0, 100)} is unknown: it was finished, cancelled or never started; start a new one with POST /v2/<name>/blobs/uploads/`);
}

/** How many holders of a blob a mount without `from` considers when the caller's access must be checked. */
const MOUNT_CANDIDATES = 100;

const lockKey = (req: RegistryRequest) => `upload:${req.params.uuid ?? ''}`;

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
    leaseExpiresAt: null,
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
  await ctx.metadata.linkBlob(name, digest.value, stored.size);
  return blobCreated(name, digest.value);
}

/** POST ?digest= with the whole blob as its body. */
async function monolithicUpload(ctx: RegistryContext, name: string, digest: Digest, req: RegistryRequest): Promise<RegistryResponse> {
  const id = randomUUID();
  let state = await ctx.blobs.createUpload(id);
  let size = 0;
  try {
    const hasher = new NativeHasher(digest.algorithm);
    const expected = declaredLength(req.headers);
    const written = await ctx.blobs.writeUpload(id, state, 0, tap(req.body, (c) => hasher.update(c), expected));
    state = written.state;
    size = written.written;
    checkLength(expected, size);
    checkDigest(digest, hasher.digestSoFar());
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
  return ctx.uploadLocks.run(lockKey(req), async () => {
    // Read under the lock: a request that waited must see the offset its predecessor left.
    const session = await loadSession(ctx, name, req);
    const { session: next } = await writeRequestBody(ctx, session, req);
    return response(202, sessionHeaders(next));
  });
}

export async function getUpload(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  const session = await loadSession(ctx, name, req);
  return response(204, sessionHeaders(session));
}

export async function cancelUpload(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  return ctx.uploadLocks.run(lockKey(req), async () => {
    const session = await loadSession(ctx, name, req);
    await discardUpload(ctx, session);
    return response(204, { 'content-length': '0' });
  });
}

// ---------------------------------------------------------------------------------------------
// PUT

export async function putUpload(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  const digestParam = req.query.get('digest');
  if (digestParam === null || digestParam === '') {
    throw new RegistryError('DIGEST_INVALID', 'finishing an upload needs the blob digest: PUT <location>?digest=<algorithm>:<hex>');
  }
  const digest = parseDigest(digestParam);
  return ctx.uploadLocks.run(lockKey(req), async () => {
    let session = await loadSession(ctx, name, req);
    let hasher: UploadHasher | undefined;
    if (hasBody(req.headers)) ({ session, hasher } = await writeRequestBody(ctx, session, req));
    else checkNoLiveWriter(session); // finishing while a chunk is still being written would lose it
    try {
      checkDigest(digest, await finalDigest(ctx, session, digest.algorithm, hasher));
    } catch (err) {
      await discardUpload(ctx, session);
      throw err;
    }
    // Verified. A failure from here on is the store's, not the content's: the session stays so
    // the client can retry the PUT (committing is idempotent).
    await commitBlob(ctx, name, session.id, session.storageState, session.offset, digest.value);
    await ctx.metadata.deleteUpload(session.id);
    ctx.hashCache.forget(session.id);
    return blobCreated(name, digest.value);
  });
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
  await ctx.metadata.linkBlob(name, digest, size);
}

async function discardUpload(ctx: RegistryContext, session: UploadSession): Promise<void> {
  await ctx.blobs.deleteUpload(session.id, session.storageState);
  await ctx.metadata.deleteUpload(session.id);
  ctx.hashCache.forget(session.id);
}

/**
 * Appends the request body to the upload. With Content-Range the request is a chunk: it must
 * start at the session's offset (416 otherwise) and is hashed with the resumable hasher whose
 * state is saved with the session. Without it the body is streamed and hashed natively.
 */
async function writeRequestBody(
  ctx: RegistryContext,
  session: UploadSession,
  req: RegistryRequest,
): Promise<{ session: UploadSession; hasher: UploadHasher }> {
  checkNoLiveWriter(session);
  const contentLength = declaredLength(req.headers);
  const rangeHeader = req.headers['content-range'];
  let expected = contentLength;
  let chunked = false;
  if (rangeHeader !== undefined) {
    chunked = true;
    const range = parseContentRange(rangeHeader);
    if (range.start !== session.offset) {
      throw new RegistryError('BLOB_UPLOAD_INVALID', `chunk starts at byte ${range.start} but the upload has ${session.offset} bytes: send the chunk that starts at ${session.offset}`, {
        status: 416,
        headers: sessionHeaders(session),
        detail: { offset: session.offset, rangeStart: range.start },
      });
    }
    expected = range.end - range.start + 1;
    if (contentLength !== undefined && contentLength !== expected) {
      throw new RegistryError('SIZE_INVALID', `Content-Length ${contentLength} does not match Content-Range ${rangeHeader} (${expected} bytes)`);
    }
  }
  const hasher = await hasherAt(ctx, session, chunked || !ctx.blobs.uploadsReadable);
  // Claim the offset before writing a byte, with a lease: of two requests racing for it (in any
  // process), the loser is refused here and never writes, and so is any request that arrives
  // while the winner is still writing. A writer that dies leaves only bytes past the offset,
  // which the next writer replaces once the lease has expired.
  const claimed: UploadSession = { ...session, leaseExpiresAt: new Date(Date.now() + UPLOAD_LEASE_MS).toISOString(), version: session.version + 1 };
  if (!(await ctx.metadata.updateUpload(claimed, session.version))) throw concurrentWrite();
  let written: { written: number; state: unknown };
  try {
    written = await ctx.blobs.writeUpload(session.id, session.storageState, session.offset, tap(req.body, (c) => hasher.update(c), expected ?? Number.POSITIVE_INFINITY));
    checkLength(expected, written.written);
  } catch (err) {
    // Release the lease so the client can resend this chunk at once; the offset is unchanged.
    await ctx.metadata.updateUpload({ ...claimed, leaseExpiresAt: null, version: claimed.version + 1 }, claimed.version).catch(() => false);
    throw err;
  }
  const next: UploadSession = {
    ...claimed,
    offset: session.offset + written.written,
    storageState: written.state,
    hashState: hasher.saveState(),
    digestSoFar: hasher.digestSoFar(),
    leaseExpiresAt: null,
    version: claimed.version + 1,
  };
  if (!(await ctx.metadata.updateUpload(next, claimed.version))) throw concurrentWrite();
  if (hasher instanceof NativeHasher) ctx.hashCache.put(session.id, next.offset, hasher.snapshot());
  return { session: next, hasher };
}

/**
 * How long a request's claim on an upload offset holds without being released. Long enough for
 * a very large streamed PATCH; only a writer that died ever waits it out.
 */
export const UPLOAD_LEASE_MS = 60 * 60 * 1000;

/** Refuses a request while another one holds a live lease on the upload. */
function checkNoLiveWriter(session: UploadSession): void {
  if (session.leaseExpiresAt !== null && Date.parse(session.leaseExpiresAt) > Date.now()) throw concurrentWrite();
}

function concurrentWrite(): RegistryError {
  return new RegistryError('BLOB_UPLOAD_INVALID', 'another request is writing to this upload at the same offset: check the upload status and resend from its offset', {
    status: 416,
  });
}

/** A hasher positioned at the session's offset, rebuilt as cheaply as possible. */
async function hasherAt(ctx: RegistryContext, session: UploadSession, resumable: boolean): Promise<UploadHasher> {
  const { algorithm, offset } = session;
  if (resumable) {
    if (offset === 0 || session.hashState) return ResumableHasher.create(algorithm, session.hashState);
    return catchUp(ctx, session, await ResumableHasher.create(algorithm));
  }
  if (offset === 0) return new NativeHasher(algorithm);
  const cached = ctx.hashCache.get(session.id, offset);
  if (cached) return new NativeHasher(algorithm, cached);
  if (session.hashState) return ResumableHasher.create(algorithm, session.hashState);
  return catchUp(ctx, session, new NativeHasher(algorithm));
}

/** Rebuilds a hash state by re-reading what the upload holds (a chunk after a streamed PATCH). */
async function catchUp<H extends UploadHasher>(ctx: RegistryContext, session: UploadSession, hasher: H): Promise<H> {
  if (!ctx.blobs.uploadsReadable) {
    // Only reachable when the client finishes with another algorithm than it started with.
    throw new RegistryError('DIGEST_INVALID', `this upload was hashed with ${session.algorithm}: finish it with a ${session.algorithm} digest, or start it with ?digest-algorithm=<algorithm>`);
  }
  for await (const chunk of ctx.blobs.readUpload(session.id, session.storageState, session.offset)) hasher.update(chunk);
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
  return (await catchUp(ctx, { ...session, algorithm }, new NativeHasher(algorithm))).digestSoFar();
}

// Registrations (../operation.ts): one descriptor per route-table operation of this module.
export const startUploadOperation: RegistryOperation = { kind: 'registry', operation: 'startUpload', ports: ['metadata', 'blobs'], run: startUpload };
export const getUploadOperation: RegistryOperation = { kind: 'registry', operation: 'getUpload', ports: ['metadata'], run: getUpload };
export const patchUploadOperation: RegistryOperation = { kind: 'registry', operation: 'patchUpload', ports: ['metadata', 'blobs'], run: patchUpload };
export const putUploadOperation: RegistryOperation = { kind: 'registry', operation: 'putUpload', ports: ['metadata', 'blobs'], run: putUpload };
export const cancelUploadOperation: RegistryOperation = { kind: 'registry', operation: 'cancelUpload', ports: ['metadata', 'blobs'], run: cancelUpload };
