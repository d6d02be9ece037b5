/**
 * Manifest GET/HEAD/PUT/DELETE. Manifests are stored byte-exact under the media type they were
 * pushed with. A PUT writes content first (manifest record and referrer entry) and pointers
 * (tags) last, so a tag never names a manifest that is not fully stored.
 *
 * Content negotiation: a GET always answers with the stored bytes and media type, whatever its
 * Accept header lists. Converting would change the digest the client asked for; every client we
 * support (docker, containerd, skopeo, podman, crane, oras, regctl) checks the media type it gets.
 */
import { readAll } from '../body.js';
import { parseDigest } from '../digest.js';
import { RegistryError } from '../errors.js';
import { digestOf } from '../hashing.js';
import type { RegistryContext } from '../context.js';
import { makeEvent } from '../events.js';
import { removeManifest } from '../manifest-removal.js';
import { parseManifest, referrerDescriptor } from '../manifest-parse.js';
import { response, type RegistryRequest, type RegistryResponse } from '../messages.js';
import { parseReference, validateTag } from '../names.js';
import type { RegistryEvent } from '../../ports/event-sink.js';
import type { ManifestRecord } from '../../ports/metadata-store.js';
import type { RegistryOperation } from '../operation.js';
import { immutabilityRule, isTagImmutable, RepositorySettings } from '../repository-settings.js';

/**
 * A link linked or touched this recently needs no touch at a manifest PUT: a collector removes
 * only links older than its grace, so with a grace longer than this plus the PUT's own time, no
 * collection can remove it before the manifest is stored and marked. (A shorter grace, such as
 * `--grace 0s`, stays safe through the re-check after storing; a push may then fail and retry.)
 * A docker push links its layers moments before the manifest PUT: no touches, no writes.
 */
const FRESH_LINK_MS = 10 * 60_000;

function manifestUnknown(name: string, reference: string): RegistryError {
  return new RegistryError('MANIFEST_UNKNOWN', `manifest ${reference.slice(0, 150)} is not in repository ${name}`, {
    detail: { name, reference: reference.slice(0, 150) },
  });
}

export async function getManifest(ctx: RegistryContext, name: string, req: RegistryRequest, head: boolean): Promise<RegistryResponse> {
  const raw = req.params.reference ?? '';
  const ref = parseReference(raw);
  // By tag: one metadata read where the store can (the first request of every pull).
  const record = ref.kind === 'tag' ? await ctx.metadata.getManifestByTag(name, ref.tag) : await ctx.metadata.getManifest(name, ref.digest.value);
  if (!record) throw manifestUnknown(name, raw);
  const headers = {
    'content-type': record.mediaType,
    'content-length': String(record.content.byteLength),
    'docker-content-digest': record.digest,
    etag: `"${record.digest}"`,
  };
  return response(200, headers, head ? undefined : record.content);
}

export async function putManifest(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  const raw = req.params.reference ?? '';
  const ref = parseReference(raw);
  const tags = ref.kind === 'tag' ? [ref.tag] : [];
  for (const t of req.query.getAll('tag')) if (!tags.includes(t)) tags.push(validateTag(t));

  const limit = ctx.limits.maxManifestBytes;
  const tooLarge = () => new RegistryError('TOO_LARGE', `manifest is larger than the ${limit}-byte limit`, { detail: { limit } });
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) > limit) throw tooLarge();
  const content = await readAll(req.body, limit, tooLarge);

  const algorithm = ref.kind === 'digest' ? ref.digest.algorithm : 'sha256';
  const digest = digestOf(algorithm, content);
  if (ref.kind === 'digest' && ref.digest.value !== digest) {
    throw new RegistryError('DIGEST_INVALID', `manifest content has digest ${digest}, not ${ref.digest.value}`, {
      detail: { expected: ref.digest.value, actual: digest },
    });
  }
  const parsed = parseManifest(content, req.headers['content-type']);

  const blobUnknown = (blob: string) =>
    new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references blob ${blob}, which is not in repository ${name}: push the blob first`, { detail: { digest: blob } });
  // Every link in one read; the old ones are also touched, so that a collection that listed them
  // earlier can no longer remove them (src/core/gc/collector.ts, "Why a push never loses a blob").
  const blobDigests = parsed.blobs.map((b) => b.value);
  // Where the store can, the same read says whether the repository is in the catalog, so that
  // storing the manifest need not write the catalog entry again.
  const { links, listed } = ctx.metadata.getBlobLinksListed
    ? await ctx.metadata.getBlobLinksListed(name, blobDigests)
    : { links: await ctx.metadata.getBlobLinks(name, blobDigests), listed: false };
  const touchBefore = new Date(Date.now() - FRESH_LINK_MS).toISOString();
  for (const blob of blobDigests) {
    const link = links.get(blob);
    if (!link) throw blobUnknown(blob);
    if (link.linkedAt < touchBefore && !(await ctx.metadata.touchBlobLink(name, blob))) throw blobUnknown(blob);
  }
  for (const child of parsed.manifests) {
    if (!(await ctx.metadata.getManifest(name, child.value))) {
      throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `index references manifest ${child.value}, which is not in repository ${name}: push it first`, {
        detail: { digest: child.value },
      });
    }
  }

  const subject = parsed.subject?.value ?? null;
  const record: ManifestRecord = {
    repository: name,
    digest,
    mediaType: parsed.mediaType,
    content,
    artifactType: parsed.artifactType,
    subject,
    annotations: parsed.annotations,
    createdAt: new Date().toISOString(),
    actor: req.actor ?? null,
    pushTags: tags,
  };
  await ctx.metadata.putManifest(record, subject ? referrerDescriptor(parsed, digest, content.byteLength) : null, { listed });
  // The second half of the collector handshake (one read of every link again): a link a
  // collection removed meanwhile means the manifest goes again and the push fails cleanly (the
  // client uploads the blob anew). This re-check, not the touch, is what safety rests on.
  if (blobDigests.length > 0) {
    const still = await ctx.metadata.getBlobLinks(name, blobDigests);
    const gone = blobDigests.find((blob) => !still.has(blob));
    if (gone !== undefined) {
      await ctx.metadata.deleteManifest(name, digest);
      throw blobUnknown(gone);
    }
  }
  await setTags(ctx, name, tags, record, req.actor ?? null);

  const eventFields = {
    action: 'PUSH' as const,
    repository: name,
    digest,
    mediaType: parsed.mediaType,
    artifactType: parsed.artifactType,
    size: content.byteLength,
    actor: req.actor ?? null,
  };
  await ctx.emit(tags.length ? tags.map((tag) => makeEvent({ ...eventFields, tag })) : [makeEvent({ ...eventFields, tag: null })]);

  const headers: Record<string, string | string[]> = {
    location: `/v2/${name}/manifests/${digest}`,
    'docker-content-digest': digest,
    'content-length': '0',
  };
  if (subject) headers['oci-subject'] = subject;
  // Every tag this push created is reported, whether it came from the path or from ?tag=.
  if ((ref.kind === 'digest' || req.query.has('tag')) && tags.length) headers['oci-tag'] = tags;
  return response(201, headers);
}

/**
 * Points the push's tags at its digest. A tag the repository's settings make immutable is
 * written conditionally (the store refuses to move it); all are checked before any is written,
 * so a push refused for one tag moves none of the others (a racing push may still win the
 * conditional write between the check and the write: that is the refusal then).
 */
async function setTags(ctx: RegistryContext, name: string, tags: string[], stored: ManifestRecord, actor: string | null): Promise<void> {
  const digest = stored.digest;
  const settings = (ctx.limits.repositories ?? RepositorySettings.NONE).for(name);
  const immutable = new Set(tags.filter((t) => isTagImmutable(settings, t)));
  const refuse = (tag: string, current: string) =>
    new RegistryError(
      'TAG_INVALID',
      `tag ${tag} of ${name} already names ${current} and cannot be overwritten: it is immutable by ${immutabilityRule(settings)}; push a new tag, or delete this one first`,
      { detail: { name, tag, current, rule: settings.match ?? '' } },
    );
  for (const tag of immutable) {
    const current = await ctx.metadata.resolveTag(name, tag);
    if (current !== null && current !== digest) throw refuse(tag, current);
  }
  for (const tag of tags) {
    const written = await ctx.metadata.setTag(name, tag, digest, actor, { immutable: immutable.has(tag), stored });
    if (!written.ok) throw refuse(tag, written.current);
  }
}

/** DELETE by tag removes the tag; DELETE by digest removes the manifest and all its tags. */
export async function deleteManifest(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  const raw = req.params.reference ?? '';
  const ref = parseReference(raw);
  const actor = req.actor ?? null;
  const events: RegistryEvent[] = [];
  if (ref.kind === 'tag') {
    const digest = await ctx.metadata.deleteTag(name, ref.tag);
    if (!digest) throw manifestUnknown(name, raw);
    const record = await ctx.metadata.getManifest(name, digest);
    events.push(
      makeEvent({
        action: 'DELETE',
        repository: name,
        digest,
        tag: ref.tag,
        mediaType: record?.mediaType ?? null,
        artifactType: record?.artifactType ?? null,
        size: record?.content.byteLength ?? null,
        actor,
      }),
    );
  } else {
    const digest = parseDigest(ref.digest.value).value;
    const removed = await removeManifest(ctx, name, digest, actor, 'DELETE');
    if (!removed) throw manifestUnknown(name, raw);
    events.push(...removed.events);
  }
  await ctx.emit(events);
  return response(202, { 'content-length': '0' });
}

// Registrations (../operation.ts): one descriptor per route-table operation of this module.
export const getManifestOperation: RegistryOperation = {
  kind: 'registry',
  operation: 'getManifest',
  ports: ['metadata'],
  run: (ctx, name, req) => getManifest(ctx, name, req, false),
};
export const headManifestOperation: RegistryOperation = {
  kind: 'registry',
  operation: 'headManifest',
  ports: ['metadata'],
  run: (ctx, name, req) => getManifest(ctx, name, req, true),
};
export const putManifestOperation: RegistryOperation = { kind: 'registry', operation: 'putManifest', ports: ['metadata', 'events'], run: putManifest };
export const deleteManifestOperation: RegistryOperation = { kind: 'registry', operation: 'deleteManifest', ports: ['metadata', 'events'], run: deleteManifest };
