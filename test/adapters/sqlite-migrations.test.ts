/**
 * Versioned SQLite schema: a data directory written by an earlier release (no user_version)
 * opens, upgrades in place and keeps its data; the upgrade runs once; a database from a newer
 * release is refused rather than written.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteMetadataStore } from '../../src/adapters/embedded/sqlite-metadata-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/adapters/embedded/sqlite-migrations.js';

/**
 * The schemas earlier releases created, verbatim: the first release (commit 4c09f3a, uploads
 * without lease columns) and the last before versioning (uploads with lease_owner and
 * lease_expires_at). Fixtures, so they must never follow later edits of the code.
 */
const COMMON = `
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
`;
const RELEASES: Record<string, string> = {
  'first release': `${COMMON}
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY, repository TEXT NOT NULL, offset INTEGER NOT NULL, started_at TEXT NOT NULL,
  algorithm TEXT NOT NULL, hash_state TEXT, digest_so_far TEXT, storage_state TEXT,
  version INTEGER NOT NULL);`,
  'last release before versioning': `${COMMON}
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY, repository TEXT NOT NULL, offset INTEGER NOT NULL, started_at TEXT NOT NULL,
  algorithm TEXT NOT NULL, hash_state TEXT, digest_so_far TEXT, storage_state TEXT,
  lease_owner TEXT, lease_expires_at TEXT, version INTEGER NOT NULL);`,
};

const DIGEST = `sha256:${'a'.repeat(64)}`;
let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-migrations-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A database as that release left it: its schema, a pushed manifest, a tag, an upload. */
function oldDatabase(path: string, schema: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(schema);
  db.prepare("INSERT INTO repositories VALUES ('team/app', '2026-01-01T00:00:00Z')").run();
  db.prepare("INSERT INTO blob_links VALUES ('team/app', ?, 3, '2026-01-01T00:00:00Z')").run(DIGEST);
  db.prepare("INSERT INTO manifests VALUES ('team/app', ?, 'application/vnd.oci.image.manifest.v1+json', CAST('{}' AS BLOB), NULL, NULL, NULL, '2026-01-01T00:00:00Z')").run(
    DIGEST,
  );
  db.prepare("INSERT INTO tags VALUES ('team/app', 'v1', ?, '2026-01-01T00:00:00Z')").run(DIGEST);
  db.prepare("INSERT INTO uploads (id, repository, offset, started_at, algorithm, version) VALUES ('u1', 'team/app', 5, '2026-01-01T00:00:00Z', 'sha256', 1)").run();
  assert.equal(db.pragma('user_version', { simple: true }), 0);
  db.close();
}

for (const [release, schema] of Object.entries(RELEASES)) {
  test(`a data directory of the ${release} opens, upgrades to version ${SCHEMA_VERSION} and keeps its data`, async () => {
    const path = join(dir, `${release.replaceAll(' ', '-')}.sqlite`);
    oldDatabase(path, schema);
    for (let open = 0; open < 2; open++) {
      const store = new SqliteMetadataStore(path);
      try {
        assert.equal(await store.resolveTag('team/app', 'v1'), DIGEST);
        assert.deepEqual(await store.getBlobLink('team/app', DIGEST), { size: 3 });
        assert.equal((await store.getManifest('team/app', DIGEST))?.mediaType, 'application/vnd.oci.image.manifest.v1+json');
        const upload = await store.getUpload('u1');
        assert.equal(upload?.offset, 5);
        assert.equal(upload?.lease, null);
        // The upgraded schema takes today's writes (the lease columns exist).
        assert.equal(await store.updateUpload({ ...upload!, lease: { owner: 'me', expiresAt: '2026-01-01T00:00:30Z' }, version: 2 }, 1), true);
        assert.deepEqual((await store.getUpload('u1'))?.lease, { owner: 'me', expiresAt: '2026-01-01T00:00:30Z' });
        await store.updateUpload({ ...upload!, version: 1 }, 2);
      } finally {
        store.close();
      }
      const db = new Database(path, { readonly: true });
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION, `after open ${open + 1}`);
      db.close();
    }
  });
}

test('a database from a newer release is refused with one line, and left as it was', async () => {
  const path = join(dir, 'newer.sqlite');
  const db = new Database(path);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => new SqliteMetadataStore(path), new RegExp(`has schema version ${SCHEMA_VERSION + 1}, newer than this stowage knows \\(${SCHEMA_VERSION}\\)`));
  const after = new Database(path, { readonly: true });
  assert.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1);
  after.close();
});

test('the version is the number of migration steps, and a new database gets them all', async () => {
  assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
  const path = join(dir, 'new.sqlite');
  new SqliteMetadataStore(path).close();
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  db.close();
});
