/**
 * What the admin routes and CLI commands do with a whole repository, over the MetadataStore
 * port: list its images (ECR DescribeImages' shape), measure its storage, delete it, and choose
 * the images its lifecycle policy sees. Pure core: no HTTP here (operations/admin.ts answers the
 * routes; src/cli/ the commands).
 */
import type { RegistryContext } from './context.js';
import { evaluateLifecycle, type Expiry, type LifecycleImage } from './lifecycle/evaluate.js';
import type { LifecyclePolicy } from './lifecycle/policy-document.js';
import { INDEX_TYPES } from './manifest-media.js';
import { removeManifest } from './manifest-removal.js';
import type { RegistryEvent } from '../ports/event-sink.js';
import type { ManifestSummary, Page, PageRequest } from '../ports/metadata-store.js';

/** One image as the admin listing shows it (ECR DescribeImages' imageDetails, OCI-named). */
export interface ImageDetail {
  digest: string;
  mediaType: string;
  /** Bytes of the manifest itself. */
  size: number;
  pushedAt: string;
  tags: string[];
  artifactType: string | null;
  subject: string | null;
}

const PAGE = 500;

export function imageDetail(m: ManifestSummary): ImageDetail {
  return { digest: m.digest, mediaType: m.mediaType, size: m.size, pushedAt: m.createdAt, tags: m.tags, artifactType: m.artifactType, subject: m.subject };
}

export async function listImages(ctx: RegistryContext, name: string, page: PageRequest): Promise<Page<ImageDetail>> {
  const listed = await ctx.metadata.listManifests(name, page);
  return { items: listed.items.map(imageDetail), more: listed.more };
}

/** Every item of a paged listing, read PAGE at a time. */
async function all<T>(list: (page: PageRequest) => Promise<Page<T>>, keyOf: (item: T) => string): Promise<T[]> {
  const out: T[] = [];
  for (let last: string | undefined; ; ) {
    const page = await list({ limit: PAGE, ...(last !== undefined && { last }) });
    out.push(...page.items);
    const end = page.items.at(-1);
    if (!page.more || end === undefined) return out;
    last = keyOf(end);
  }
}

export const allManifests = (ctx: RegistryContext, name: string) =>
  all(
    (p) => ctx.metadata.listManifests(name, p),
    (m) => m.digest,
  );

/**
 * The images a lifecycle policy considers: every manifest but the children of an index of the
 * repository (platform images go with their multi-arch index) and referrers (signatures and
 * SBOMs go with their subject). Expiring those on their own would break the image they belong to.
 */
export async function lifecycleImages(ctx: RegistryContext, name: string, manifests?: ManifestSummary[]): Promise<LifecycleImage[]> {
  const list = manifests ?? (await allManifests(ctx, name));
  const children = new Set<string>();
  for (const m of list) {
    if (!INDEX_TYPES.includes(m.mediaType)) continue;
    const record = await ctx.metadata.getManifest(name, m.digest);
    if (!record) continue;
    try {
      const index = JSON.parse(Buffer.from(record.content).toString('utf8')) as { manifests?: { digest?: unknown }[] };
      for (const child of index.manifests ?? []) if (typeof child.digest === 'string') children.add(child.digest);
    } catch {
      // Stored indexes were validated on push; an unreadable one protects nothing.
    }
  }
  return list.filter((m) => m.subject === null && !children.has(m.digest)).map((m) => ({ digest: m.digest, tags: m.tags, pushedAt: m.createdAt }));
}

/** What the repository's lifecycle policy expires at `now` (the preview); no policy: nothing. */
export async function previewLifecycle(ctx: RegistryContext, name: string, now: Date): Promise<{ policy: LifecyclePolicy | null; expiries: Expiry[] }> {
  const policy = ctx.limits.repositories?.for(name).lifecyclePolicy ?? null;
  if (!policy) return { policy: null, expiries: [] };
  return { policy, expiries: evaluateLifecycle(policy, await lifecycleImages(ctx, name), now) };
}

/** ECR's lifecycle preview result for one image. */
export function previewResult(e: Expiry) {
  return { imageDigest: e.image.digest, imageTags: [...e.image.tags], imagePushedAt: e.image.pushedAt, action: { type: 'EXPIRE' as const }, appliedRulePriority: e.rulePriority };
}

export interface RepositoryUsage {
  name: string;
  /** Linked blobs and stored manifests, each digest once. */
  bytes: number;
  manifests: number;
  tags: number;
  /** Every digest counted, with its size (for a total deduplicated across repositories). */
  contents: Map<string, number>;
}

export async function repositoryUsage(ctx: RegistryContext, name: string): Promise<RepositoryUsage> {
  const contents = new Map<string, number>();
  for (const link of await all(
    (p) => ctx.metadata.listBlobLinks(name, p),
    (l) => l.digest,
  ))
    contents.set(link.digest, link.size);
  const manifests = await allManifests(ctx, name);
  for (const m of manifests) contents.set(m.digest, m.size);
  let bytes = 0;
  for (const size of contents.values()) bytes += size;
  return { name, bytes, manifests: manifests.length, tags: manifests.reduce((n, m) => n + m.tags.length, 0), contents };
}

/** Usage of several repositories, and their total with each digest counted once across them. */
export function usageReport(usages: readonly RepositoryUsage[]) {
  const seen = new Map<string, number>();
  for (const u of usages) for (const [d, size] of u.contents) seen.set(d, size);
  let totalBytes = 0;
  for (const size of seen.values()) totalBytes += size;
  return { repositories: usages.map(({ name, bytes, manifests, tags }) => ({ name, bytes, manifests, tags })), totalBytes };
}

export interface RepositoryDeletion {
  name: string;
  manifestsDeleted: number;
  tagsDeleted: number;
  blobLinksRemoved: number;
}

/**
 * Deletes a whole repository: each manifest through the core's one removal path (its tags and
 * referrer entry go with it, and its DELETE events are emitted), then whatever is left (blob
 * links, the catalog entry) in one store call. Blob content stays for the collector, which
 * frees what no repository links any more. Events are emitted after each batch of manifests, so
 * a delete that fails halfway has announced what it removed, and running it again finishes it.
 */
export async function deleteRepository(ctx: RegistryContext, name: string, actor: string | null): Promise<RepositoryDeletion> {
  let manifestsDeleted = 0;
  let tagsDeleted = 0;
  for (;;) {
    const page = await ctx.metadata.listManifests(name, { limit: PAGE });
    if (page.items.length === 0) break;
    const events: RegistryEvent[] = [];
    for (const m of page.items) {
      const removed = await removeManifest(ctx, name, m.digest, actor, 'DELETE');
      if (!removed) continue;
      manifestsDeleted++;
      tagsDeleted += removed.tags.length;
      events.push(...removed.events);
    }
    await ctx.emit(events);
  }
  const links = await all(
    (p) => ctx.metadata.listBlobLinks(name, p),
    (l) => l.digest,
  );
  await ctx.metadata.deleteRepository(name);
  return { name, manifestsDeleted, tagsDeleted, blobLinksRemoved: links.length };
}
