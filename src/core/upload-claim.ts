/**
 * The one concurrency mechanism of blob uploads: a claim on the versioned session record.
 *
 * A request that writes to an upload (PATCH, PUT with a body) first claims its session with a
 * conditional write on the version it read, setting a short lease with its own owner id. From
 * then on every state change it makes (lease renewal, progress, release, commit) is again a
 * conditional write on the version it last wrote, so:
 * - of two requests racing for the session, in one process or in two, exactly one claims it;
 *   the other is refused (the core answers 416) and never writes a byte;
 * - a request arriving while the lease is live is refused the same way;
 * - the holder renews the lease while it streams, so a long write keeps its claim, and a holder
 *   that died stops renewing, so it blocks the session for one lease duration at most (30 s);
 * - a holder that lost its claim (lease taken over after expiry) is told so by its next
 *   conditional write and stops feeding bytes as soon as its lease has expired.
 *
 * A PUT without a body writes no bytes: it takes the session by deleting it in one conditional
 * write that returns it (MetadataStore.takeUpload: refused while another request's lease is
 * live). A DELETE deletes it conditionally on the version it read and wins over a live lease
 * (uploads.ts).
 *
 *   claim (v+1, lease) ──> renew (v+2) ... ──> progress + release (v+n, no lease)
 *     │                                       └─> commit: delete conditional on v+n
 *     └── refused: live lease held by another, or the version (or offset) moved
 *
 * A request that has not read the session claims it in one conditional write that returns it
 * (claimStoredUpload), so a PATCH costs two writes and no read.
 */
import { randomUUID } from 'node:crypto';
import type { MetadataStore, UploadSession } from '../ports/metadata-store.js';

export interface UploadLeaseTiming {
  /** How long a claim holds without renewal: the longest a dead writer blocks its session. */
  durationMs: number;
  /** How often a live holder renews; a third of the duration leaves two renewals of margin. */
  renewEveryMs: number;
}

export const DEFAULT_UPLOAD_LEASE: UploadLeaseTiming = { durationMs: 30_000, renewEveryMs: 10_000 };

/** What a write leaves in the session: the new offset and what continuing from it needs (the hash state's algorithm included). */
export type UploadProgress = Pick<UploadSession, 'offset' | 'storageState' | 'hashState' | 'digestSoFar'> & Partial<Pick<UploadSession, 'algorithm'>>;

/** True while another request's lease on the session holds. */
export function hasLiveLease(session: UploadSession, now = Date.now()): boolean {
  return session.lease !== null && Date.parse(session.lease.expiresAt) > now;
}

/**
 * Claims `session` (as read) for this request, or returns null when another request holds a
 * live lease or moved the session since it was read. The claim renews itself until ended.
 */
export async function claimUpload(metadata: MetadataStore, session: UploadSession, timing: UploadLeaseTiming): Promise<UploadClaim | null> {
  if (hasLiveLease(session)) return null;
  const owner = randomUUID();
  const claimed = withLease(session, owner, timing);
  if (!(await writeOwn(metadata, claimed, session.version))) return null;
  return new UploadClaim(metadata, claimed, timing);
}

/**
 * Claims the stored session `id` of `repository` without reading it first: one conditional
 * write (MetadataStore.claimUpload) that returns the session claimed. When it is refused, the
 * session is read once to say why: `{ refused: null }` for an unknown session, else the session
 * as it stands (a live lease, or another offset than `offset`).
 */
export async function claimStoredUpload(
  metadata: MetadataStore,
  id: string,
  repository: string,
  timing: UploadLeaseTiming,
  offset?: number,
): Promise<UploadClaim | { refused: UploadSession | null }> {
  const lease = { owner: randomUUID(), expiresAt: new Date(Date.now() + timing.durationMs).toISOString() };
  const claimed = await metadata.claimUpload(id, repository, lease, new Date().toISOString(), offset);
  if (claimed) return new UploadClaim(metadata, claimed, timing);
  const current = await metadata.getUpload(id);
  if (!current || current.repository !== repository) return { refused: null };
  // An SDK retry of the claim that had landed finds its own lease: the claim holds.
  if (current.lease?.owner === lease.owner) return new UploadClaim(metadata, current, timing);
  return { refused: current };
}

/** A request's hold on an upload session; end() it on every path. */
export class UploadClaim {
  private current: UploadSession;
  private readonly owner: string;
  private readonly timer: ReturnType<typeof setInterval>;
  /** This claim's writes, one at a time, so each is conditional on the version the last one wrote. */
  private queue: Promise<unknown> = Promise.resolve();
  private conflict = false;
  /** The current lease's expiry in epoch ms (checked for every body chunk, so parsed once). */
  private leaseEndsAt: number;
  private ended = false;

  constructor(
    private readonly metadata: MetadataStore,
    claimed: UploadSession,
    private readonly timing: UploadLeaseTiming,
  ) {
    this.current = claimed;
    this.leaseEndsAt = leaseEnd(claimed);
    this.owner = claimed.lease?.owner ?? '';
    this.timer = setInterval(() => void this.serially(() => this.renew()), timing.renewEveryMs);
    // A claim must never keep a process alive: a process that exits simply stops renewing.
    this.timer.unref?.();
  }

  /** The session as this request last wrote it. */
  get session(): UploadSession {
    return this.current;
  }

  /**
   * True once the claim can no longer be trusted: another request moved the session, or the
   * lease expired without a renewal landing. The holder must stop writing bytes then.
   */
  get lost(): boolean {
    return this.conflict || this.current.lease === null || this.leaseEndsAt <= Date.now();
  }

  /**
   * Records what a write appended. `keepLease` holds the claim on (a PUT that commits next);
   * otherwise the lease is released in the same write. False when the claim was lost.
   */
  async record(progress: UploadProgress, keepLease: boolean): Promise<boolean> {
    const next: UploadSession = { ...this.current, ...progress };
    if (keepLease) return this.serially(() => this.replace(withLease(next, this.owner, this.timing)));
    return this.finish(() => this.replace({ ...next, lease: null }));
  }

  /** Commits the end of the upload: deletes the session if this claim still holds it. */
  async commit(): Promise<boolean> {
    return this.finish(async () => {
      if (this.conflict) return false;
      return this.metadata.deleteUpload(this.current.id, this.current.version);
    });
  }

  /** Releases the lease if still held (the session stays, at its recorded offset) and stops renewing. */
  async end(): Promise<void> {
    if (this.ended) return;
    // A failed release is not an error: the lease then expires on its own.
    await this.finish(() => this.replace({ ...this.current, lease: null })).catch(() => false);
  }

  private async finish(write: () => Promise<boolean>): Promise<boolean> {
    this.ended = true;
    clearInterval(this.timer);
    return this.serially(write);
  }

  private serially<T>(write: () => Promise<T>): Promise<T> {
    const run = this.queue.then(write);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async renew(): Promise<void> {
    if (this.ended || this.conflict) return;
    // A failed renewal (store unreachable) is retried at the next beat; the duration leaves two.
    await this.replace(withLease(this.current, this.owner, this.timing)).catch(() => false);
  }

  private async replace(next: UploadSession): Promise<boolean> {
    if (this.conflict) return false;
    const versioned = { ...next, version: this.current.version + 1 };
    if (await writeOwn(this.metadata, versioned, this.current.version)) {
      this.current = versioned;
      this.leaseEndsAt = leaseEnd(versioned);
      return true;
    }
    this.conflict = true;
    return false;
  }
}

function leaseEnd(session: UploadSession): number {
  return session.lease === null ? 0 : Date.parse(session.lease.expiresAt);
}

function withLease(session: UploadSession, owner: string, timing: UploadLeaseTiming): UploadSession {
  return { ...session, lease: { owner, expiresAt: new Date(Date.now() + timing.durationMs).toISOString() }, version: session.version + 1 };
}

/**
 * The conditional write, tolerant of its own retry: when the store reports a conflict but holds
 * what this write wrote (same version, lease owner and offset) (an SDK retry of a write that had landed), it counts as written.
 */
async function writeOwn(metadata: MetadataStore, next: UploadSession, expectedVersion: number): Promise<boolean> {
  if (await metadata.updateUpload(next, expectedVersion)) return true;
  const stored = await metadata.getUpload(next.id);
  return stored !== null && stored.version === next.version && (stored.lease?.owner ?? null) === (next.lease?.owner ?? null) && stored.offset === next.offset;
}
