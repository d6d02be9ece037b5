/**
 * Results of the SQLite store's hottest reads (a manifest by tag, a page of tags or repository
 * names, whether a repository exists), kept only while the database is unchanged, so a hit is
 * never stale. "Unchanged" is read from SQLite itself on every lookup, at a fraction of the cost
 * of the read it saves:
 *
 *   total_changes()       rows changed through this connection (every write of the server);
 *   the WAL index header  changes when any connection commits, other ones included: `stowage
 *                         gc`, `stowage check --repair` or the admin commands working on the same
 *                         data directory beside the server (they open their own connection). It
 *                         is read with one pread (./wal-change-watch.ts), not a statement;
 *                         `PRAGMA data_version` says the same where there is no WAL index (a
 *                         database in memory), at several times the cost.
 *
 * Any change empties the whole cache: no write has to know which entries it touches, and a store
 * that is written to is simply served from SQLite. Values are shared between callers, so they
 * must be treated as read-only (pages are frozen). Memory is bounded: values larger than
 * MAX_VALUE_BYTES are never kept, and reaching the entry or byte cap starts the cache afresh.
 */
import type Database from 'better-sqlite3';
import { WalChangeWatch } from './wal-change-watch.js';

/** At most this much estimated value size is kept (a 4 MiB manifest is never cached). */
const MAX_BYTES = 4 << 20;
const MAX_VALUE_BYTES = 64 << 10;
const MAX_ENTRIES = 4096;

export class SqliteReadCache {
  private readonly changes: Database.Statement;
  private readonly wal: WalChangeWatch | undefined;
  private readonly dataVersion: Database.Statement;
  private seenChanges = -1;
  private seenDataVersion = -1;
  private readonly entries = new Map<string, unknown>();
  private bytes = 0;

  constructor(db: Database.Database) {
    this.changes = db.prepare('SELECT total_changes()').pluck();
    this.wal = db.pragma('journal_mode', { simple: true }) === 'wal' ? WalChangeWatch.open(db.name) : undefined;
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  /** Whether anything changed the database since the last call: both checks run every time. */
  private changed(): boolean {
    const changes = this.changes.get() as number;
    let changed = changes !== this.seenChanges;
    this.seenChanges = changes;
    if (this.wal) return this.wal.changed() || changed;
    const dataVersion = this.dataVersion.get() as number;
    changed ||= dataVersion !== this.seenDataVersion;
    this.seenDataVersion = dataVersion;
    return changed;
  }

  /**
   * The value cached under `key` while the database is unchanged, else `read()`'s (kept when its
   * `sizeOf` is small enough). `read` must only read: it runs synchronously, so no write of this
   * connection can fall between the version check and the read.
   */
  get<T>(key: string, read: () => T, sizeOf: (value: T) => number): T {
    if (this.changed()) {
      this.clear();
    } else if (this.entries.has(key)) {
      return this.entries.get(key) as T;
    }
    const value = read();
    const size = sizeOf(value) + key.length;
    if (size > MAX_VALUE_BYTES) return value;
    if (this.entries.size >= MAX_ENTRIES || this.bytes + size > MAX_BYTES) this.clear();
    this.entries.set(key, value);
    this.bytes += size;
    return value;
  }

  /** Lets go of the WAL index file (the store closes its database). */
  close(): void {
    this.wal?.close();
  }

  private clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

/** An estimate of a list of names' size in memory, for the cache's byte cap. */
export function namesSize(names: readonly string[]): number {
  let n = 64;
  for (const s of names) n += 32 + s.length * 2;
  return n;
}
