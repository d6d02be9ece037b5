/**
 * The embedded stores' faults become domain errors (src/adapters/storage-faults.ts): SQLite's
 * real errors on a read-only or damaged database answer 503 with Retry-After through the core,
 * a full disk 507; any other error stays what it was (a bug is still a 500). The full disk itself
 * is exercised on a real tmpfs in test/integration/disk-full.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { storageFault, withStorageFaults } from '../../src/adapters/storage-faults.js';
import { SqliteMetadataStore } from '../../src/adapters/embedded/sqlite-metadata-store.js';
import { errorResponse } from '../../src/core/error-response.js';
import { RegistryError } from '../../src/core/errors.js';
import { createPorts, EMBEDDED_DEFAULTS } from '../../src/adapters/create-ports.js';
import { startServer } from '../../src/shells/http/server.js';
import { pullImage, pushImage, PushRefused } from '../helpers/push-pull.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-faults-'));
});
after(() => rm(dir, { recursive: true, force: true }));

function sqliteError(run: () => void): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  assert.fail('SQLite did not fail');
}

test('a read-only SQLite database: STORAGE_UNAVAILABLE, 503 with Retry-After and the UNAVAILABLE body', () => {
  const path = join(dir, 'ro.sqlite');
  new SqliteMetadataStore(path).close();
  const db = new Database(path, { readonly: true });
  const err = sqliteError(() => db.exec("INSERT INTO tags (repository, tag, digest) VALUES ('a', 'b', 'c')"));
  db.close();
  assert.match(String((err as { code?: string }).code), /^SQLITE_READONLY/);
  const fault = storageFault(err);
  assert.equal(fault?.kind, 'STORAGE_UNAVAILABLE');
  const res = errorResponse(fault as RegistryError);
  assert.equal(res.status, 503);
  assert.equal(res.headers['retry-after'], '30');
  assert.equal(JSON.parse(res.body as string).errors[0].code, 'UNAVAILABLE');
});

test('a damaged SQLite file: STORAGE_UNAVAILABLE', async () => {
  const path = join(dir, 'damaged.sqlite');
  await writeFile(path, Buffer.alloc(8192, 0x5a));
  const err = sqliteError(() => new Database(path).pragma('user_version'));
  assert.equal((err as { code?: string }).code, 'SQLITE_NOTADB');
  assert.equal(storageFault(err)?.kind, 'STORAGE_UNAVAILABLE');
});

test('a full disk or quota: STORAGE_FULL, 507; other errors stay as they are', () => {
  for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL']) {
    const fault = storageFault(Object.assign(new Error('full'), { code }));
    assert.equal(fault?.kind, 'STORAGE_FULL', code);
    assert.equal(errorResponse(fault as RegistryError).status, 507);
  }
  assert.equal(storageFault(new Error('a bug')), undefined);
  assert.equal(storageFault(Object.assign(new Error('gone'), { code: 'ENOENT' })), undefined);
  assert.equal(storageFault(null), undefined);
});

test('the wrapper maps thrown and rejected faults, passes results and other errors through, keeps properties', async () => {
  const port = {
    limit: 7,
    sync: () => {
      throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    },
    async rejects(): Promise<void> {
      throw Object.assign(new Error('read-only'), { code: 'EROFS' });
    },
    async ok(x: number) {
      return x * this.limit;
    },
    async bug(): Promise<void> {
      throw new TypeError('a bug');
    },
  };
  const wrapped = withStorageFaults(port, 'test');
  assert.equal(wrapped.limit, 7);
  assert.throws(
    () => wrapped.sync(),
    (e: unknown) => e instanceof RegistryError && e.kind === 'STORAGE_FULL',
  );
  await assert.rejects(wrapped.rejects(), (e: unknown) => e instanceof RegistryError && e.kind === 'STORAGE_UNAVAILABLE');
  assert.equal(await wrapped.ok(6), 42);
  await assert.rejects(wrapped.bug(), TypeError);
});

test('a metadata store turned read-only under a running server: pushes get 503 with Retry-After, pulls go on', async () => {
  const data = join(dir, 'served');
  const ports = await createPorts({ ...EMBEDDED_DEFAULTS, dataDir: data });
  const server = await startServer({ dataDir: data, host: '127.0.0.1', port: 0, metrics: false }, ports);
  try {
    await pushImage(server.url, 'ro/app', 'v1');
    // What SQLite says when its file or volume can no longer be written.
    const db = (ports.metadata as unknown as { db: Database.Database }).db;
    db.pragma('query_only = ON');
    const refused = await pushImage(server.url, 'ro/app', 'v2').then(
      () => assert.fail('the push was accepted'),
      (err: unknown) => err,
    );
    assert.ok(refused instanceof PushRefused, String(refused));
    assert.equal(refused.status, 503, refused.message);
    assert.equal(JSON.parse(refused.body).errors[0].code, 'UNAVAILABLE');
    assert.equal(refused.headers.get('retry-after'), '30');
    await pullImage(server.url, 'ro/app', 'v1');
    db.pragma('query_only = OFF');
    await pushImage(server.url, 'ro/app', 'v2');
  } finally {
    await server.close();
  }
});
