/**
 * SQLite MetadataStore (better-sqlite3, WAL). One process owns the database; each method is a
 * statement or a transaction, so every step the core takes is atomic on its own. The schema is
 * the migration list in sqlite-migrations.ts, applied when the database is opened.
 */
import { closeSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { PRIVATE_FILE } from './paths.js';
import type {
  BlobLink,
  CollectorState,
  ManifestRecord,
  ManifestSummary,
  MetadataStore,
  Page,
  PageRequest,
  ReferrerDescriptor,
  SetTagOptions,
  TagWrite,
  UploadLease,
  UploadSession,
} from '../../ports/metadata-store.js';
import type { DigestAlgorithm } from '../../core/digest.js';
import { migrate } from './sqlite-migrations.js';
import { namesSize, SqliteReadCache } from './sqlite-read-cache.js';

interface ManifestRow {
  repository: string;
  digest: string;
  media_type: string;
  content: Buffer;
  artifact_type: string | null;
  subject: string | null;
  annotations: string | null;
  created_at: string;
}

interface SummaryRow {
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  subject: string | null;
  created_at: string;
}

interface ReferrerRow {
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  annotations: string | null;
}

interface UploadRow {
  id: string;
  repository: string;
  offset: number;
  started_at: string;
  algorithm: string;
  hash_state: string | null;
  digest_so_far: string | null;
  storage_state: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  version: number;
}

/**
 * Opens the metadata database as every user of it must (the server, `stowage check`, `stowage
 * backup`): WAL, durable commits, a busy timeout for a second process, the schema migrated.
 */
export function openMetadataDb(path: string, options?: Database.Options): Database.Database {
  // Created 0600 before SQLite opens it: SQLite would make it 0644 under the usual umask, and it
  // gives the -wal and -shm files the database file's mode.
  if (path !== ':memory:' && !options?.readonly) closeSync(openSync(path, 'a', PRIVATE_FILE));
  const db = new Database(path, options);
  try {
    db.pragma('journal_mode = WAL');
    // FULL: every commit fsyncs the WAL, so what the registry acknowledged survives a power loss
    // or kernel crash too (NORMAL in WAL mode survives a process crash only: the last commits can
    // roll back on power loss). One fsync per metadata write; blob commits already fsync.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    migrate(db, path);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Turns `limit + 1` fetched rows into a page and whether more follow. */
function toPage<T>(rows: T[], limit: number): Page<T> {
  return { items: rows.slice(0, limit), more: rows.length > limit };
}

/** A page that may be cached and handed to several callers: nobody can change it. */
function frozenPage(rows: string[], limit: number): Page<string> {
  const page = toPage(rows, limit);
  Object.freeze(page.items);
  return Object.freeze(page);
}

export class SqliteMetadataStore implements MetadataStore {
  private readonly db: Database.Database;
  private readonly path: string;
  /** The database file's inode when opened: a file removed or replaced under us is not ready. */
  private readonly inode: number | undefined;

  constructor(path: string) {
    this.db = openMetadataDb(path);
    this.path = path;
    this.inode = path === ':memory:' ? undefined : statSync(path).ino;
    this.cache = new SqliteReadCache(this.db);
  }

  /** The reads every pull and listing repeats, kept while the database is unchanged (./sqlite-read-cache.ts). */
  private readonly cache: SqliteReadCache;

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared statements are compiled once and reused (the hot paths run a handful of them). */
  private sql(source: string): Database.Statement {
    let stmt = this.statements.get(source);
    if (!stmt) {
      stmt = this.db.prepare(source);
      this.statements.set(source, stmt);
    }
    return stmt;
  }

  close(): void {
    this.cache.close();
    this.db.close();
  }

  /** One pass over the link and manifest tables (an index-only scan of blob links per digest). */
  async storedBytes(): Promise<number> {
    const row = this.sql(
      `SELECT (SELECT COALESCE(SUM(size), 0) FROM (SELECT MAX(size) AS size FROM blob_links GROUP BY digest))
            + (SELECT COALESCE(SUM(bytes), 0) FROM (SELECT MAX(LENGTH(content)) AS bytes FROM manifests GROUP BY digest)) AS total`,
    ).get() as { total: number };
    return row.total;
  }

  /**
   * A trivial read through the open connection, and the file at the path still the one open:
   * SQLite keeps writing into a deleted file, and those writes vanish at the next start.
   */
  async check(): Promise<void> {
    this.sql('SELECT 1 FROM repositories LIMIT 1').get();
    if (this.inode === undefined) return;
    let ino: number;
    try {
      ino = statSync(this.path).ino;
    } catch (err) {
      throw new Error(`${this.path}: ${(err as Error).message}`);
    }
    if (ino !== this.inode) throw new Error(`${this.path} was replaced since it was opened`);
  }

  private touchRepository(name: string): void {
    this.sql('INSERT OR IGNORE INTO repositories (name, created_at) VALUES (?, ?)').run(name, new Date().toISOString());
  }

  /** Link times strictly increase within this process, so a touch always changes the value a collector read. */
  private lastLinkMs = 0;
  private linkTime(): string {
    this.lastLinkMs = Math.max(Date.now(), this.lastLinkMs + 1);
    return new Date(this.lastLinkMs).toISOString();
  }

  // blob_links.created_at holds the link's linkedAt: the time of its last link or touch.
  async linkBlob(repository: string, digest: string, size: number): Promise<void> {
    this.db.transaction(() => {
      this.touchRepository(repository);
      this.sql(
        'INSERT INTO blob_links (repository, digest, size, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (repository, digest) DO UPDATE SET created_at = excluded.created_at',
      ).run(repository, digest, size, this.linkTime());
    })();
  }

  async touchBlobLink(repository: string, digest: string): Promise<{ size: number } | null> {
    const row = this.sql('UPDATE blob_links SET created_at = ? WHERE repository = ? AND digest = ? RETURNING size').get(this.linkTime(), repository, digest) as
      | { size: number }
      | undefined;
    return row ? { size: row.size } : null;
  }

  async listBlobLinks(repository: string, page: PageRequest): Promise<Page<BlobLink>> {
    const rows = this.sql('SELECT digest, size, created_at FROM blob_links WHERE repository = ? AND digest > ? ORDER BY digest LIMIT ?').all(
      repository,
      page.last ?? '',
      page.limit + 1,
    ) as { digest: string; size: number; created_at: string }[];
    return toPage(
      rows.map((r) => ({ digest: r.digest, size: r.size, linkedAt: r.created_at })),
      page.limit,
    );
  }

  async getBlobLink(repository: string, digest: string): Promise<{ size: number } | null> {
    const row = this.sql('SELECT size FROM blob_links WHERE repository = ? AND digest = ?').get(repository, digest) as { size: number } | undefined;
    return row ? { size: row.size } : null;
  }

  async getBlobLinks(repository: string, digests: readonly string[]): Promise<Map<string, BlobLink>> {
    const links = new Map<string, BlobLink>();
    const get = this.sql('SELECT size, created_at FROM blob_links WHERE repository = ? AND digest = ?');
    for (const digest of new Set(digests)) {
      const row = get.get(repository, digest) as { size: number; created_at: string } | undefined;
      if (row) links.set(digest, { digest, size: row.size, linkedAt: row.created_at });
    }
    return links;
  }

  async unlinkBlob(repository: string, digest: string, linkedAt?: string): Promise<boolean> {
    if (linkedAt !== undefined) {
      return this.sql('DELETE FROM blob_links WHERE repository = ? AND digest = ? AND created_at = ?').run(repository, digest, linkedAt).changes > 0;
    }
    return this.sql('DELETE FROM blob_links WHERE repository = ? AND digest = ?').run(repository, digest).changes > 0;
  }

  async unlinkBlobs(links: readonly { repository: string; digest: string; linkedAt: string }[]): Promise<{ repository: string; digest: string }[]> {
    const remove = this.sql('DELETE FROM blob_links WHERE repository = ? AND digest = ? AND created_at = ?');
    return this.db.transaction(() => links.filter((l) => remove.run(l.repository, l.digest, l.linkedAt).changes > 0).map(({ repository, digest }) => ({ repository, digest })))();
  }

  async deleteRepository(repository: string): Promise<boolean> {
    return this.db.transaction(() => {
      for (const table of ['tags', 'referrers', 'manifests', 'blob_links']) this.sql(`DELETE FROM ${table} WHERE repository = ?`).run(repository);
      return this.sql('DELETE FROM repositories WHERE name = ?').run(repository).changes > 0;
    })();
  }

  async findBlobRepositories(digest: string, limit: number): Promise<string[]> {
    const rows = this.sql('SELECT repository FROM blob_links WHERE digest = ? ORDER BY repository LIMIT ?').all(digest, limit) as { repository: string }[];
    return rows.map((r) => r.repository);
  }

  /** One range read of the digest index, from the lowest digest asked about to the highest. */
  async findLinkedBlobs(digests: readonly string[]): Promise<Set<string>> {
    const linked = new Set<string>();
    if (digests.length === 0) return linked;
    const wanted = new Set(digests);
    let low = digests[0]!;
    let high = low;
    for (const d of digests) {
      if (d < low) low = d;
      if (d > high) high = d;
    }
    const rows = this.sql('SELECT DISTINCT digest FROM blob_links WHERE digest >= ? AND digest <= ?').pluck().all(low, high) as string[];
    for (const digest of rows) if (wanted.has(digest)) linked.add(digest);
    return linked;
  }

  async putManifest(record: ManifestRecord, referrer: ReferrerDescriptor | null): Promise<void> {
    this.db.transaction(() => {
      this.touchRepository(record.repository);
      this.db
        .prepare(
          `INSERT OR REPLACE INTO manifests (repository, digest, media_type, content, artifact_type, subject, annotations, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          record.repository,
          record.digest,
          record.mediaType,
          Buffer.from(record.content),
          record.artifactType,
          record.subject,
          record.annotations ? JSON.stringify(record.annotations) : null,
          record.createdAt,
        );
      if (referrer && record.subject) {
        this.db
          .prepare(
            `INSERT OR REPLACE INTO referrers (repository, subject, digest, media_type, size, artifact_type, annotations)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            record.repository,
            record.subject,
            referrer.digest,
            referrer.mediaType,
            referrer.size,
            referrer.artifactType ?? null,
            referrer.annotations ? JSON.stringify(referrer.annotations) : null,
          );
      }
    })();
  }

  async getManifest(repository: string, digest: string): Promise<ManifestRecord | null> {
    return manifestOfRow(this.sql('SELECT * FROM manifests WHERE repository = ? AND digest = ?').get(repository, digest) as ManifestRow | undefined);
  }

  /** One query: the tag joined to its manifest. */
  async getManifestByTag(repository: string, tag: string): Promise<ManifestRecord | null> {
    return this.cache.get(
      `manifest\0${repository}\0${tag}`,
      () =>
        manifestOfRow(
          this.sql('SELECT m.* FROM tags t JOIN manifests m ON m.repository = t.repository AND m.digest = t.digest WHERE t.repository = ? AND t.tag = ?').get(repository, tag) as
            | ManifestRow
            | undefined,
        ),
      (m) => 512 + (m?.content.byteLength ?? 0),
    );
  }

  async listManifests(repository: string, page: PageRequest): Promise<Page<ManifestSummary>> {
    const rows = this.sql(
      `SELECT digest, media_type, length(content) AS size, artifact_type, subject, created_at FROM manifests
       WHERE repository = ? AND digest > ? ORDER BY digest LIMIT ?`,
    ).all(repository, page.last ?? '', page.limit + 1) as SummaryRow[];
    const listed = rows.slice(0, page.limit);
    const tagsOf = new Map<string, string[]>(listed.map((r) => [r.digest, []]));
    if (listed.length > 0) {
      // One query for the page's tags; digests between the page's first and last select exactly them.
      const tagRows = this.sql('SELECT tag, digest FROM tags WHERE repository = ? AND digest >= ? AND digest <= ? ORDER BY tag').all(
        repository,
        listed[0]?.digest,
        listed.at(-1)?.digest,
      ) as { tag: string; digest: string }[];
      for (const t of tagRows) tagsOf.get(t.digest)?.push(t.tag);
    }
    const items = listed.map((r) => ({
      digest: r.digest,
      mediaType: r.media_type,
      size: r.size,
      artifactType: r.artifact_type,
      subject: r.subject,
      createdAt: r.created_at,
      tags: tagsOf.get(r.digest) ?? [],
    }));
    return { items, more: rows.length > page.limit };
  }

  async deleteManifest(repository: string, digest: string): Promise<{ tags: string[] } | null> {
    return this.db.transaction(() => {
      const deleted = this.sql('DELETE FROM manifests WHERE repository = ? AND digest = ?').run(repository, digest).changes;
      if (deleted === 0) return null;
      const tags = (this.sql('SELECT tag FROM tags WHERE repository = ? AND digest = ? ORDER BY tag').all(repository, digest) as { tag: string }[]).map((r) => r.tag);
      this.sql('DELETE FROM tags WHERE repository = ? AND digest = ?').run(repository, digest);
      this.sql('DELETE FROM referrers WHERE repository = ? AND digest = ?').run(repository, digest);
      return { tags };
    })();
  }

  async setTag(repository: string, tag: string, digest: string, _actor?: string | null, options: SetTagOptions = {}): Promise<TagWrite> {
    return this.db.transaction((): TagWrite => {
      this.touchRepository(repository);
      const now = new Date().toISOString();
      if (!options.immutable) {
        this.sql(
          'INSERT INTO tags (repository, tag, digest, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at',
        ).run(repository, tag, digest, now);
        return { ok: true };
      }
      // Insert-if-absent and the check of what is there in one transaction: an immutable tag
      // never moves, and a repeat of the digest it names succeeds.
      if (
        this.sql('INSERT INTO tags (repository, tag, digest, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (repository, tag) DO NOTHING').run(repository, tag, digest, now)
          .changes === 1
      ) {
        return { ok: true };
      }
      const current = (this.sql('SELECT digest FROM tags WHERE repository = ? AND tag = ?').get(repository, tag) as { digest: string }).digest;
      return current === digest ? { ok: true } : { ok: false, current };
    })();
  }

  async resolveTag(repository: string, tag: string): Promise<string | null> {
    const row = this.sql('SELECT digest FROM tags WHERE repository = ? AND tag = ?').get(repository, tag) as { digest: string } | undefined;
    return row?.digest ?? null;
  }

  async deleteTag(repository: string, tag: string): Promise<string | null> {
    const row = this.sql('DELETE FROM tags WHERE repository = ? AND tag = ? RETURNING digest').get(repository, tag) as { digest: string } | undefined;
    return row?.digest ?? null;
  }

  async listTags(repository: string, page: PageRequest): Promise<Page<string>> {
    const last = page.last ?? '';
    return this.cache.get(
      `tags\0${repository}\0${page.limit}\0${last}`,
      () =>
        frozenPage(
          this.sql('SELECT tag FROM tags WHERE repository = ? AND tag > ? ORDER BY tag LIMIT ?')
            .pluck()
            .all(repository, last, page.limit + 1) as string[],
          page.limit,
        ),
      (p) => namesSize(p.items),
    );
  }

  async listReferrers(repository: string, subject: string, page: PageRequest & { artifactType?: string }): Promise<Page<ReferrerDescriptor>> {
    const filter = page.artifactType !== undefined ? 'AND artifact_type = ?' : '';
    const args: unknown[] = [repository, subject, page.last ?? ''];
    if (page.artifactType !== undefined) args.push(page.artifactType);
    args.push(page.limit + 1);
    const rows = this.sql(
      `SELECT digest, media_type, size, artifact_type, annotations FROM referrers WHERE repository = ? AND subject = ? AND digest > ? ${filter} ORDER BY digest LIMIT ?`,
    ).all(...args) as ReferrerRow[];
    const items = rows.map((r) => {
      const d: ReferrerDescriptor = { mediaType: r.media_type, digest: r.digest, size: r.size };
      if (r.artifact_type !== null) d.artifactType = r.artifact_type;
      if (r.annotations !== null) d.annotations = JSON.parse(r.annotations) as Record<string, string>;
      return d;
    });
    return toPage(items, page.limit);
  }

  async repositoryExists(repository: string): Promise<boolean> {
    return this.cache.get(
      `exists\0${repository}`,
      () => this.sql('SELECT 1 FROM repositories WHERE name = ?').get(repository) !== undefined,
      () => 16,
    );
  }

  async listRepositories(page: PageRequest): Promise<Page<string>> {
    const last = page.last ?? '';
    return this.cache.get(
      `repositories\0${page.limit}\0${last}`,
      () =>
        frozenPage(
          this.sql('SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?')
            .pluck()
            .all(last, page.limit + 1) as string[],
          page.limit,
        ),
      (p) => namesSize(p.items),
    );
  }

  async createUpload(s: UploadSession): Promise<void> {
    this.sql(
      `INSERT INTO uploads (id, repository, offset, started_at, algorithm, hash_state, digest_so_far, storage_state, lease_owner, lease_expires_at, version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(s.id, s.repository, s.offset, s.startedAt, ...sessionState(s));
  }

  async getUpload(id: string): Promise<UploadSession | null> {
    const row = this.sql('SELECT * FROM uploads WHERE id = ?').get(id) as UploadRow | undefined;
    return row ? sessionOf(row) : null;
  }

  async listUploads(startedBefore: string, page: PageRequest): Promise<Page<UploadSession>> {
    // (started_at, id) after the cursor: the cursor is `<started_at>#<id>` (uploadCursor).
    const [lastStart = '', lastId = ''] = page.last === undefined ? [] : [page.last.slice(0, page.last.lastIndexOf('#')), page.last.slice(page.last.lastIndexOf('#') + 1)];
    const rows = this.sql('SELECT * FROM uploads WHERE started_at < ? AND (started_at > ? OR (started_at = ? AND id > ?)) ORDER BY started_at, id LIMIT ?').all(
      startedBefore,
      lastStart,
      lastStart,
      lastId,
      page.limit + 1,
    ) as UploadRow[];
    return toPage(rows.map(sessionOf), page.limit);
  }

  async getCollectorState(): Promise<CollectorState | null> {
    const row = this.sql('SELECT owner, lease_until, cursor, version FROM collector WHERE id = 1').get() as
      | { owner: string; lease_until: string; cursor: string | null; version: number }
      | undefined;
    return row ? { owner: row.owner, leaseUntil: row.lease_until, cursor: row.cursor, version: row.version } : null;
  }

  async putCollectorState(state: CollectorState, expectedVersion: number | null): Promise<boolean> {
    if (expectedVersion === null) {
      return (
        this.sql('INSERT OR IGNORE INTO collector (id, owner, lease_until, cursor, version) VALUES (1, ?, ?, ?, ?)').run(state.owner, state.leaseUntil, state.cursor, state.version)
          .changes === 1
      );
    }
    return (
      this.sql('UPDATE collector SET owner = ?, lease_until = ?, cursor = ?, version = ? WHERE id = 1 AND version = ?').run(
        state.owner,
        state.leaseUntil,
        state.cursor,
        state.version,
        expectedVersion,
      ).changes === 1
    );
  }

  async updateUpload(s: UploadSession, expectedVersion: number): Promise<boolean> {
    const result = this.sql(
      `UPDATE uploads SET offset = ?, algorithm = ?, hash_state = ?, digest_so_far = ?, storage_state = ?, lease_owner = ?, lease_expires_at = ?, version = ?
       WHERE id = ? AND version = ?`,
    ).run(s.offset, ...sessionState(s), s.id, expectedVersion);
    return result.changes === 1;
  }

  async claimUpload(id: string, repository: string, lease: UploadLease, now: string, offset?: number): Promise<UploadSession | null> {
    return this.db.transaction(() => {
      const row = this.sql('SELECT * FROM uploads WHERE id = ?').get(id) as UploadRow | undefined;
      const session = row ? sessionOf(row) : null;
      if (!session || session.repository !== repository || (offset !== undefined && session.offset !== offset)) return null;
      if (session.lease !== null && session.lease.expiresAt > now) return null;
      const claimed: UploadSession = { ...session, lease, version: session.version + 1 };
      this.sql('UPDATE uploads SET lease_owner = ?, lease_expires_at = ?, version = ? WHERE id = ?').run(lease.owner, lease.expiresAt, claimed.version, id);
      return claimed;
    })();
  }

  async takeUpload(id: string, repository: string, now: string): Promise<{ taken: UploadSession | null } | { busy: UploadSession }> {
    return this.db.transaction(() => {
      const row = this.sql('SELECT * FROM uploads WHERE id = ?').get(id) as UploadRow | undefined;
      const session = row ? sessionOf(row) : null;
      if (!session || session.repository !== repository) return { taken: null };
      if (session.lease !== null && session.lease.expiresAt > now) return { busy: session };
      this.sql('DELETE FROM uploads WHERE id = ?').run(id);
      return { taken: session };
    })();
  }

  async deleteUpload(id: string, expectedVersion?: number): Promise<boolean> {
    const result =
      expectedVersion === undefined ? this.sql('DELETE FROM uploads WHERE id = ?').run(id) : this.sql('DELETE FROM uploads WHERE id = ? AND version = ?').run(id, expectedVersion);
    return result.changes === 1;
  }
}

function manifestOfRow(row: ManifestRow | undefined): ManifestRecord | null {
  if (!row) return null;
  return {
    repository: row.repository,
    digest: row.digest,
    mediaType: row.media_type,
    content: row.content,
    artifactType: row.artifact_type,
    subject: row.subject,
    annotations: row.annotations ? (JSON.parse(row.annotations) as Record<string, string>) : null,
    createdAt: row.created_at,
  };
}

/**
 * The columns a session write sets after its offset, in this order: algorithm, hash_state,
 * digest_so_far, storage_state, lease_owner, lease_expires_at, version (sessionOf reads them back).
 */
function sessionState(s: UploadSession): [string, string | null, string | null, string, string | null, string | null, number] {
  return [s.algorithm, s.hashState, s.digestSoFar, JSON.stringify(s.storageState ?? null), s.lease?.owner ?? null, s.lease?.expiresAt ?? null, s.version];
}

function sessionOf(row: UploadRow): UploadSession {
  return {
    id: row.id,
    repository: row.repository,
    offset: row.offset,
    startedAt: row.started_at,
    algorithm: row.algorithm as DigestAlgorithm,
    hashState: row.hash_state,
    digestSoFar: row.digest_so_far,
    storageState: row.storage_state === null ? null : JSON.parse(row.storage_state),
    // A row written before leases had owners still holds until it expires.
    lease: row.lease_expires_at === null ? null : { owner: row.lease_owner ?? '', expiresAt: row.lease_expires_at },
    version: row.version,
  };
}
