/**
 * The SQLite metadata schema, as an ordered list of migration steps. `PRAGMA user_version` holds
 * how many steps a database has had; opening it runs the missing ones in order, each in its own
 * transaction together with the version bump, so a crash mid-upgrade leaves the previous version.
 *
 * TO CHANGE THE SCHEMA: append one step to MIGRATIONS (never edit or reorder a step that has
 * shipped: data directories out there have already run it). A step is SQL, or a function for
 * what SQL alone cannot say. That is the whole change; the test in
 * test/adapters/sqlite-migrations.test.ts opens a data directory of every earlier version.
 *
 * Step 1 is the schema as it stood before versioning (user_version 0). Its statements say
 * IF NOT EXISTS, and it adds the upload lease columns only where missing, so a data directory
 * made by any earlier release (the first had neither column) upgrades in place.
 */
import type Database from 'better-sqlite3';

export type MigrationStep = string | ((db: Database.Database) => void);

const SCHEMA_BEFORE_VERSIONING = `
CREATE TABLE IF NOT EXISTS repositories (name TEXT PRIMARY KEY, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blob_links (
  repository TEXT NOT NULL, digest TEXT NOT NULL, size INTEGER NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (repository, digest));
CREATE INDEX IF NOT EXISTS blob_links_by_digest ON blob_links (digest, repository);
CREATE TABLE IF NOT EXISTS manifests (
  repository TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL, content BLOB NOT NULL,
  artifact_type TEXT, subject TEXT, annotations TEXT, created_at TEXT NOT NULL,
  PRIMARY KEY (repository, digest));
CREATE TABLE IF NOT EXISTS tags (
  repository TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (repository, tag));
CREATE INDEX IF NOT EXISTS tags_by_digest ON tags (repository, digest);
CREATE TABLE IF NOT EXISTS referrers (
  repository TEXT NOT NULL, subject TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL,
  size INTEGER NOT NULL, artifact_type TEXT, annotations TEXT,
  PRIMARY KEY (repository, subject, digest));
CREATE INDEX IF NOT EXISTS referrers_by_digest ON referrers (repository, digest);
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY, repository TEXT NOT NULL, offset INTEGER NOT NULL, started_at TEXT NOT NULL,
  algorithm TEXT NOT NULL, hash_state TEXT, digest_so_far TEXT, storage_state TEXT,
  lease_owner TEXT, lease_expires_at TEXT, version INTEGER NOT NULL);
`;

/** The migration steps, oldest first; step i (1-based) brings a database to user_version i. */
export const MIGRATIONS: readonly MigrationStep[] = [
  // 1: the schema before versioning (adds the upload lease columns to databases older than them).
  (db) => {
    db.exec(SCHEMA_BEFORE_VERSIONING);
    for (const column of ['lease_owner', 'lease_expires_at']) {
      if (!hasColumn(db, 'uploads', column)) db.exec(`ALTER TABLE uploads ADD COLUMN ${column} TEXT`);
    }
  },
  // 2: the webhook outbox (event-outbox.ts): one row per event and URL until delivered;
  // dead_at set when it reached the attempt limit (the dead-letter list).
  `CREATE TABLE event_outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, event_id TEXT NOT NULL, payload TEXT NOT NULL,
     created_at TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, last_error TEXT, dead_at TEXT);
   CREATE INDEX event_outbox_due ON event_outbox (dead_at, next_attempt_at);`,
  // 3: the garbage collector (src/core/gc): uploads listed by age (expiry of abandoned sessions),
  // and its one-row record of who collects now and where an interrupted sweep resumes.
  `CREATE INDEX uploads_by_start ON uploads (started_at, id);
   CREATE TABLE collector (
     id INTEGER PRIMARY KEY CHECK (id = 1), owner TEXT NOT NULL, lease_until TEXT NOT NULL, cursor TEXT, version INTEGER NOT NULL);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

function hasColumn(db: Database.Database, table: string, column: string): boolean {
  return (db.pragma(`table_info(${table})`) as { name: string }[]).some((c) => c.name === column);
}

/**
 * Brings `db` to SCHEMA_VERSION; returns the version it had. A database from a newer release
 * (a version this code does not know) is refused rather than written with an older idea of it.
 */
export function migrate(db: Database.Database, path: string): number {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw new Error(`${path} has schema version ${from}, newer than this stowage knows (${SCHEMA_VERSION}): run the release that wrote it, or restore a backup`);
  }
  for (let version = from + 1; version <= SCHEMA_VERSION; version++) {
    const step = MIGRATIONS[version - 1] as MigrationStep;
    // IMMEDIATE: two processes opening one database at once do not both run a step.
    db.transaction(() => {
      if ((db.pragma('user_version', { simple: true }) as number) >= version) return;
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${version}`);
    }).immediate();
  }
  return from;
}
