/**
 * Online garbage collection: one sweep through the ports, safe beside pushes, pulls and another
 * collector, on every adapter family (SQLite + filesystem, DynamoDB + S3).
 *
 * A sweep has four phases, each restartable (the cursor says which phase and how far):
 *   0. expire:  the optional `beforeMark` hook (lifecycle policies, src/core/lifecycle/) deletes
 *               manifests through the core's own delete path; it runs at the start of a sweep.
 *   1. links:   per repository, mark every blob any stored manifest references (layers, config;
 *               index children and subjects are manifests, whose own blobs are marked too), then
 *               remove each unmarked link older than the grace period (the removals of several
 *               repositories share a commit; each repository's re-check follows them).
 *   2. content: list committed content; whatever no repository links and is older than the grace
 *               is reclaimed (hidden, checked again, deleted).
 *   3. uploads: sessions started before the upload TTL are deleted with their temporary storage
 *               (files; S3 multipart uploads aborted), unless a writer holds them now.
 * Links and metadata go before content: a reader is never told a blob exists that storage lacks.
 * Every step is idempotent and judged on the state it reads, so a crash anywhere leaves a state
 * that the next sweep (resumed from the stored cursor, or started again) simply finishes.
 *
 * Why a push never loses a blob (the race of distribution#3899). A push HEADs its blobs, then
 * PUTs a manifest; the collector may be removing one of those blobs at that moment.
 *  - The manifest PUT reads its links (MetadataStore.getBlobLinks, one batched read) and touches
 *    each one older than a few minutes (MetadataStore.touchBlobLink: refresh linkedAt, fail when
 *    absent) before it stores the manifest. The collector removes a link only when it is older
 *    than the grace AND still has the linkedAt the collector read (a conditional delete). So a
 *    link the PUT touched after the collector read it survives; a link the collector removed
 *    before the read or touch fails the PUT with MANIFEST_BLOB_UNKNOWN (no manifest is stored);
 *    a link fresher than the touch threshold is younger than any grace longer than it, so no
 *    collection removes it during the PUT; and a touch older than the grace belongs to a PUT
 *    that, as long as a PUT takes less than the grace, stored its manifest before the collector
 *    started marking, so the mark sees it. (This part only spares pushes a retry.)
 *  - Without relying on the grace: after storing the manifest the PUT reads every link again, and
 *    after removing links the collector lists the repository's manifests again. Each writes then
 *    reads, so at least one sees the other: the collector puts back a link a new manifest needs,
 *    or the PUT deletes its manifest again and fails with MANIFEST_BLOB_UNKNOWN (the client then
 *    HEADs, uploads the blob anew and retries). Either way no stored manifest is left without its
 *    blob. (Residual: two clients PUTting the identical manifest at that instant; the one whose
 *    re-check fails removes the manifest the other was just told is stored.)
 *  - Content: BlobStore.reclaim hides a batch of blobs first (fs: rename; S3: delete the
 *    pointer), then asks, in one read for the batch, whether anything links each; every writer that links content (upload commit, mount) links first and then checks the content is still there (core/blob-links.ts).
 *    Again each writes then reads: either the collector sees the link and puts the blob back, or
 *    the writer sees it gone, takes its link back and fails (the client pushes the blob again).
 *    On DynamoDB "anything links it" reads GSI1, which lags writes: the collector waits
 *    MetadataStore.blobIndexLagMs after hiding before it asks.
 *  - distribution#4569 (a stale "blob exists" after a collection): HEAD answers from the link
 *    and the store each time; nothing caches existence.
 * What the grace is still for: links and content written by a push in progress (uploaded layers
 * whose manifest is not there yet) are younger than it and stay; `--grace 0s` is for a registry
 * that is not being pushed to.
 */
import { eachConcurrently } from '../each-concurrently.js';
import { parseManifest } from '../manifest-parse.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { Logger } from '../../ports/logger.js';
import { uploadCursor, type BlobLink, type CollectorState, type MetadataStore, type UploadSession } from '../../ports/metadata-store.js';

export const DEFAULT_GRACE_MS = 3_600_000;
export const DEFAULT_UPLOAD_TTL_MS = 24 * 3_600_000;
/**
 * Items per page: on SQLite each page of link removals and each cursor save is one commit (an
 * fsync), so pages of 1,000 keep a sweep of 50,000 blobs to about a hundred commits.
 */
const DEFAULT_BATCH = 1000;
/** A collector that stops renewing (it crashed) is taken over after this long. */
const DEFAULT_LEASE_MS = 5 * 60_000;
/** Reads of a blob's links in flight at once, where the store has no batched read (DynamoDB). */
const RECLAIM_CONCURRENCY = 8;
/**
 * Blobs hidden, asked about and deleted together (BlobStore.reclaim): one linked-blobs read (and
 * on DynamoDB one wait of blobIndexLagMs) per batch instead of per blob, while a blob a push
 * links at that moment stays hidden, unreadable, for a batch's time at most.
 */
const RECLAIM_BATCH = 250;
/**
 * Link removals per call of MetadataStore.unlinkBlobs (one SQLite commit); marked repositories
 * wait until their unmarked links reach this many.
 */
const DEFAULT_LINKS_PER_COMMIT = 5000;
/** Batches of content being reclaimed at once (see sweepContent). */
const RECLAIM_BATCHES_IN_FLIGHT = 4;
/**
 * The cursor is stored (and the lease renewed) at most this often within a phase, and whenever a
 * sweep stops on an error or its time budget: each store is a commit (on SQLite an fsync, a
 * commit per repository made about a third of a sweep's commits). A crash loses at most this
 * much progress, which the next sweep redoes (every step is idempotent).
 */
const SAVE_EVERY_MS = 1000;

/** What a sweep did (or, in a dry run, would do). */
export interface CollectionReport {
  dryRun: boolean;
  /** Manifests expired by the `beforeMark` phase (lifecycle policies). */
  manifestsDeleted: number;
  /** Repository links removed (a blob no manifest of that repository references). */
  linksRemoved: number;
  /** Blobs whose content was deleted from storage. */
  blobsDeleted: number;
  bytesFreed: number;
  uploadsExpired: number;
  repositoriesSwept: number;
  blobsScanned: number;
  /** False when the time budget ran out first: the next run resumes at the stored cursor. */
  complete: boolean;
  /** Set when nothing ran because another collector holds the lease. */
  skipped?: string;
  durationMs: number;
}

export interface CollectorOptions {
  metadata: MetadataStore;
  blobs: BlobStore;
  /** Links and content younger than this stay. @default 1 h */
  graceMs?: number;
  /** Upload sessions started longer ago than this are abandoned. @default 24 h */
  uploadTtlMs?: number;
  /** Report what would go, change nothing (no lease, no cursor). */
  dryRun?: boolean;
  /** Items per listing page and per cursor save. @default 1000 */
  batchSize?: number;
  /** Link removals per MetadataStore.unlinkBlobs call (see sweepLinks). @default 5000 */
  linksPerCommit?: number;
  /** Stop (saving the cursor) once this much time has passed. @default no limit */
  timeBudgetMs?: number;
  /** Phase 0: expire manifests by policy; returns how many it deleted. */
  beforeMark?: (sweep: { dryRun: boolean; now: Date }) => Promise<{ manifestsDeleted: number }>;
  log?: Logger;
  now?: () => Date;
  /** Identifies this collector in the lease. @default a random id */
  owner?: string;
  leaseMs?: number;
}

type Phase = 'links' | 'content' | 'uploads';
interface Cursor {
  phase: Phase;
  /** Last item finished in the phase: repository name, digest, or upload cursor. */
  after?: string;
}

/** A repository marked, whose unmarked links wait to be removed with others' (sweepLinks). */
interface MarkedRepository {
  repository: string;
  /** Manifests the mark read (the check after removing reads only the others). */
  seen: Set<string>;
  /** Links no manifest references, older than the grace when the mark began. */
  unmarked: BlobLink[];
}

class OutOfTime extends Error {}
class LeaseLost extends Error {}

export async function collectGarbage(options: CollectorOptions): Promise<CollectionReport> {
  return new Sweep(options).run();
}

class Sweep {
  private readonly metadata: MetadataStore;
  private readonly blobs: BlobStore;
  private readonly graceMs: number;
  private readonly uploadTtlMs: number;
  private readonly dryRun: boolean;
  private readonly batch: number;
  private readonly linksPerCommit: number;
  private readonly now: () => Date;
  private readonly owner: string;
  private readonly leaseMs: number;
  private readonly started: number;
  private readonly deadline: number;
  private state: CollectorState | null = null;
  /** The last finished step not stored yet (see SAVE_EVERY_MS). */
  private pending: Cursor | null = null;
  private savedAt = 0;
  /**
   * Content being reclaimed, oldest first (at most RECLAIM_BATCHES_IN_FLIGHT batches): while one
   * batch's deletes wait on storage (on the bench machine's disk, most of a sweep's time), the
   * next is listed, hidden and asked about. An entry with a cursor is the end of a page of
   * content, stored once everything before it has finished.
   */
  private readonly reclaiming: { done: Promise<void>; cursor?: Cursor }[] = [];
  /** Dry run: links this sweep would remove, per digest (content then counts as unlinked). */
  private readonly wouldUnlink = new Map<string, Set<string>>();
  private readonly report: CollectionReport;

  constructor(private readonly options: CollectorOptions) {
    this.metadata = options.metadata;
    this.blobs = options.blobs;
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.uploadTtlMs = options.uploadTtlMs ?? DEFAULT_UPLOAD_TTL_MS;
    this.dryRun = options.dryRun ?? false;
    this.batch = options.batchSize ?? DEFAULT_BATCH;
    this.linksPerCommit = options.linksPerCommit ?? DEFAULT_LINKS_PER_COMMIT;
    this.now = options.now ?? (() => new Date());
    this.owner = options.owner ?? `collector-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    for (const [name, v] of [
      ['graceMs', this.graceMs],
      ['uploadTtlMs', this.uploadTtlMs],
    ] as const) {
      if (!Number.isFinite(v) || v < 0) throw new Error(`collector: ${name} must be a non-negative number of milliseconds`);
    }
    for (const [name, v] of [
      ['batchSize', this.batch],
      ['linksPerCommit', this.linksPerCommit],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`collector: ${name} must be a positive integer`);
    }
    this.started = Date.now();
    this.deadline = options.timeBudgetMs === undefined ? Number.POSITIVE_INFINITY : this.started + options.timeBudgetMs;
    this.report = {
      dryRun: this.dryRun,
      manifestsDeleted: 0,
      linksRemoved: 0,
      blobsDeleted: 0,
      bytesFreed: 0,
      uploadsExpired: 0,
      repositoriesSwept: 0,
      blobsScanned: 0,
      complete: false,
      durationMs: 0,
    };
  }

  async run(): Promise<CollectionReport> {
    let cursor: Cursor | null = null;
    if (!this.dryRun) {
      const claimed = await this.claim();
      if (typeof claimed === 'string') return this.finish({ skipped: claimed });
      cursor = claimed;
    }
    try {
      if (cursor === null && this.options.beforeMark) {
        this.report.manifestsDeleted = (await this.options.beforeMark({ dryRun: this.dryRun, now: this.now() })).manifestsDeleted;
      }
      let c: Cursor = cursor ?? { phase: 'links' };
      if (c.phase === 'links') {
        await this.sweepLinks(c.after);
        c = { phase: 'content' };
        await this.save(c);
      }
      if (c.phase === 'content') {
        await this.sweepContent(c.after);
        c = { phase: 'uploads' };
        await this.save(c);
      }
      await this.expireUploads(c.after);
      await this.release(null);
      this.report.complete = true;
    } catch (err) {
      // No batch may still be deleting once the sweep has returned.
      await Promise.allSettled(this.reclaiming.map((step) => step.done));
      if (err instanceof LeaseLost) return this.finish({ skipped: 'another collector took the lease over' });
      if (!(err instanceof OutOfTime)) {
        // The cursor of the last finished step is stored; the lease lapses on its own.
        if (this.pending) await this.save(this.pending).catch(() => {});
        throw err;
      }
      await this.release(this.pending ? JSON.stringify(this.pending) : (this.state?.cursor ?? null));
    }
    return this.finish({});
  }

  private finish(extra: Partial<CollectionReport>): CollectionReport {
    Object.assign(this.report, extra, { durationMs: Date.now() - this.started });
    this.options.log?.info('garbage collection', { ...this.report });
    return this.report;
  }

  private checkTime(): void {
    if (Date.now() >= this.deadline) throw new OutOfTime();
  }

  private cutoff(ms: number): string {
    return new Date(this.now().getTime() - ms).toISOString();
  }

  // -------------------------------------------------------------------------------------------
  // Lease and cursor (MetadataStore.getCollectorState / putCollectorState)

  /** The cursor to resume from (null: a fresh sweep), or why nothing may run now. */
  private async claim(): Promise<Cursor | null | string> {
    const current = await this.metadata.getCollectorState();
    const now = this.now();
    if (current && current.owner !== this.owner && current.leaseUntil > now.toISOString()) {
      return `another collector (${current.owner}) holds the lease until ${current.leaseUntil}`;
    }
    const next: CollectorState = { owner: this.owner, leaseUntil: this.leaseEnd(), cursor: current?.cursor ?? null, version: (current?.version ?? 0) + 1 };
    if (!(await this.metadata.putCollectorState(next, current ? current.version : null))) return 'another collector claimed the lease at the same moment';
    this.state = next;
    return next.cursor === null ? null : (JSON.parse(next.cursor) as Cursor);
  }

  private leaseEnd(): string {
    return new Date(this.now().getTime() + this.leaseMs).toISOString();
  }

  /** Records a finished step; stores it when the last store is SAVE_EVERY_MS old. */
  private async progress(cursor: Cursor): Promise<void> {
    this.pending = cursor;
    if (Date.now() - this.savedAt >= SAVE_EVERY_MS) await this.save(cursor);
  }

  /** Stores the resume point and renews the lease; throws LeaseLost when another collector took it. */
  private async save(cursor: Cursor): Promise<void> {
    if (this.dryRun || !this.state) return;
    const next: CollectorState = { ...this.state, cursor: JSON.stringify(cursor), leaseUntil: this.leaseEnd(), version: this.state.version + 1 };
    if (!(await this.metadata.putCollectorState(next, this.state.version))) throw new LeaseLost();
    this.state = next;
    this.pending = null;
    this.savedAt = Date.now();
  }

  private async release(cursor: string | null): Promise<void> {
    if (this.dryRun || !this.state) return;
    const next: CollectorState = { ...this.state, cursor, leaseUntil: this.now().toISOString(), version: this.state.version + 1 };
    if (await this.metadata.putCollectorState(next, this.state.version)) this.state = next;
  }

  // -------------------------------------------------------------------------------------------
  // Phase 1: links

  /**
   * Repositories are marked one by one and their unmarked links removed together, about
   * linksPerCommit at once (then each repository's handshake, removeLinks); the cursor
   * moves past a repository once its links are removed.
   */
  private async sweepLinks(after: string | undefined): Promise<void> {
    let last = after;
    let group: MarkedRepository[] = [];
    let grouped = 0;
    const removeGroup = async () => {
      const lastOfGroup = group.at(-1);
      if (!lastOfGroup) return;
      await this.removeLinks(group);
      this.report.repositoriesSwept += group.length;
      group = [];
      grouped = 0;
      await this.progress({ phase: 'links', after: lastOfGroup.repository });
    };
    for (;;) {
      const page = await this.metadata.listRepositories({ limit: this.batch, ...(last !== undefined && { last }) });
      for (const repository of page.items) {
        this.checkTime();
        const marked = await this.markRepository(repository);
        group.push(marked);
        grouped += marked.unmarked.length;
        last = repository;
        if (grouped >= this.linksPerCommit) await removeGroup();
      }
      await removeGroup();
      if (!page.more) return;
    }
  }

  /** Blob digests referenced by the repository's manifests, and the manifests seen. */
  private async mark(repository: string, skip: Set<string>, marked: Set<string>): Promise<boolean> {
    let last: string | undefined;
    for (;;) {
      const page = await this.metadata.listManifests(repository, { limit: this.batch, ...(last !== undefined && { last }) });
      for (const summary of page.items) {
        last = summary.digest;
        if (skip.has(summary.digest)) continue;
        skip.add(summary.digest);
        const record = await this.metadata.getManifest(repository, summary.digest);
        if (!record) continue;
        try {
          for (const blob of parseManifest(record.content, record.mediaType).blobs) marked.add(blob.value);
        } catch (err) {
          // Stored manifests were valid when pushed; one that no longer parses must not cost blobs.
          this.options.log?.warn('collector: a stored manifest does not parse; the repository keeps all its blobs this sweep', {
            repository,
            digest: summary.digest,
            error: (err as Error).message,
          });
          return false;
        }
      }
      if (!page.more) return true;
    }
  }

  /** Marks a repository and lists its links no manifest references that are older than the grace. */
  private async markRepository(repository: string): Promise<MarkedRepository> {
    const cutoff = this.cutoff(this.graceMs); // taken before marking (see the header)
    const seen = new Set<string>();
    const marked = new Set<string>();
    const unmarked: BlobLink[] = [];
    if (!(await this.mark(repository, seen, marked))) return { repository, seen, unmarked };
    let last: string | undefined;
    for (;;) {
      const page = await this.metadata.listBlobLinks(repository, { limit: this.batch, ...(last !== undefined && { last }) });
      for (const link of page.items) if (!marked.has(link.digest) && link.linkedAt < cutoff) unmarked.push(link);
      last = page.items.at(-1)?.digest ?? last;
      if (!page.more) break;
    }
    if (!this.dryRun) return { repository, seen, unmarked };
    for (const link of unmarked) {
      const repos = this.wouldUnlink.get(link.digest) ?? new Set<string>();
      repos.add(repository);
      this.wouldUnlink.set(link.digest, repos);
      this.report.linksRemoved++;
    }
    return { repository, seen, unmarked: [] };
  }

  /**
   * Removes the group's unmarked links, linksPerCommit a call (on SQLite one commit
   * each, instead of one per repository: a sweep of the bench's store wrote 53,000 WAL pages with
   * a commit per repository), then does the collector's half of the handshake for each
   * repository: manifests stored since its mark get their links back.
   */
  private async removeLinks(group: readonly MarkedRepository[]): Promise<void> {
    const links = group.flatMap(({ repository, unmarked }) => unmarked.map(({ digest, linkedAt }) => ({ repository, digest, linkedAt })));
    const removed = new Map<string, string[]>();
    for (let i = 0; i < links.length; i += this.linksPerCommit) {
      for (const { repository, digest } of await this.metadata.unlinkBlobs(links.slice(i, i + this.linksPerCommit))) {
        const digests = removed.get(repository) ?? [];
        digests.push(digest);
        removed.set(repository, digests);
      }
    }
    for (const { repository, seen, unmarked } of group) {
      const digests = removed.get(repository);
      if (!digests) continue;
      const needed = new Set<string>();
      if (!(await this.mark(repository, seen, needed))) {
        for (const digest of digests) needed.add(digest);
      }
      const sizes = new Map(unmarked.map((l) => [l.digest, l.size]));
      for (const digest of digests) {
        if (needed.has(digest)) await this.metadata.linkBlob(repository, digest, sizes.get(digest)!);
        else this.report.linksRemoved++;
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Phase 2: content

  private async sweepContent(after: string | undefined): Promise<void> {
    const cutoff = this.cutoff(this.graceMs);
    let last = after;
    for (;;) {
      this.checkTime();
      const page = await this.blobs.listBlobs({ limit: this.batch, ...(last !== undefined && { last }) });
      this.report.blobsScanned += page.items.length;
      await this.reclaimUnlinked(
        page.items.filter((b) => b.modifiedAt < cutoff).map((b) => b.digest),
        cutoff,
      );
      const lastItem = page.items.at(-1);
      if (lastItem) {
        last = lastItem.digest;
        this.reclaiming.push({ done: Promise.resolve(), cursor: { phase: 'content', after: last } });
      }
      if (!page.more) break;
    }
    while (this.reclaiming.length > 0) await this.finishOldestReclaim();
  }

  /**
   * Starts reclaiming those of `digests` that nothing links now (asked first too, so that linked
   * content is not hidden and put back for nothing), RECLAIM_BATCH at a time, waiting while
   * RECLAIM_BATCHES_IN_FLIGHT batches run.
   */
  private async reclaimUnlinked(digests: readonly string[], cutoff: string): Promise<void> {
    if (digests.length === 0) return;
    const linked = await this.linkedAmong(digests);
    const candidates = digests.filter((digest) => !linked.has(digest));
    for (let i = 0; i < candidates.length; i += RECLAIM_BATCH) {
      const done = this.reclaim(candidates.slice(i, i + RECLAIM_BATCH), cutoff);
      done.catch(() => {}); // awaited in order (finishOldestReclaim); this keeps a failure meanwhile from going unhandled
      this.reclaiming.push({ done });
      while (this.reclaiming.length > RECLAIM_BATCHES_IN_FLIGHT) await this.finishOldestReclaim();
    }
  }

  private async finishOldestReclaim(): Promise<void> {
    const step = this.reclaiming.shift();
    if (!step) return;
    await step.done;
    if (step.cursor) await this.progress(step.cursor);
  }

  /**
   * Of `digests`, those some repository links (in a dry run: other than by a link this sweep
   * would remove). One read where the store offers it (SQLite: a range of the digest index);
   * otherwise a read per digest, RECLAIM_CONCURRENCY at once.
   */
  private async linkedAmong(digests: readonly string[]): Promise<Set<string>> {
    if (!this.dryRun && this.metadata.findLinkedBlobs) return digests.length > 0 ? this.metadata.findLinkedBlobs(digests) : new Set();
    const linked = new Set<string>();
    await eachConcurrently(digests, RECLAIM_CONCURRENCY, async (digest) => {
      const would = this.wouldUnlink.get(digest);
      const holders = await this.metadata.findBlobRepositories(digest, would ? would.size + 1 : 1);
      if (!holders.every((r) => would?.has(r))) linked.add(digest);
    });
    return linked;
  }

  /** Deletes content nothing linked at the page's read, asking again once it is hidden (see the header). */
  private async reclaim(digests: readonly string[], cutoff: string): Promise<void> {
    if (this.dryRun) {
      await eachConcurrently(digests, RECLAIM_CONCURRENCY, async (digest) => {
        const size = (await this.blobs.stat(digest))?.size;
        if (size === undefined) return;
        this.report.blobsDeleted++;
        this.report.bytesFreed += size;
      });
      return;
    }
    const lag = this.metadata.blobIndexLagMs ?? 0;
    const freed = await this.blobs.reclaim(digests, async (hidden) => {
      const old = hidden.filter((b) => b.modifiedAt < cutoff).map((b) => b.digest);
      if (old.length === 0) return new Set();
      if (lag > 0) await new Promise((resolve) => setTimeout(resolve, lag));
      const linked = await this.linkedAmong(old);
      return new Set(old.filter((digest) => !linked.has(digest)));
    });
    for (const blob of freed) {
      this.report.blobsDeleted++;
      this.report.bytesFreed += blob.size;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Phase 3: abandoned uploads

  private async expireUploads(after: string | undefined): Promise<void> {
    const before = this.cutoff(this.uploadTtlMs);
    let last = after;
    for (;;) {
      this.checkTime();
      const page = await this.metadata.listUploads(before, { limit: this.batch, ...(last !== undefined && { last }) });
      for (const session of page.items) {
        last = uploadCursor(session);
        await this.expire(session);
      }
      if (last !== undefined) await this.progress({ phase: 'uploads', after: last });
      if (!page.more) return;
    }
  }

  private async expire(session: UploadSession): Promise<void> {
    // A writer holding the session now is not abandoned, however old the upload.
    if (session.lease && session.lease.expiresAt > this.now().toISOString()) return;
    if (this.dryRun) {
      this.report.uploadsExpired++;
      return;
    }
    // The session first (conditional on its version: a request that moved it wins), then its storage.
    if (!(await this.metadata.deleteUpload(session.id, session.version))) return;
    await this.blobs.deleteUpload(session.id, session.storageState);
    this.report.uploadsExpired++;
  }
}
