/** The port contract suites against the embedded adapters (filesystem, SQLite, in-memory limiter). */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../../src/adapters/embedded/fs-blob-store.js';
import { SqliteMetadataStore } from '../../src/adapters/embedded/sqlite-metadata-store.js';
import { MemoryLoginLimiter } from '../../src/adapters/embedded/login-limiter.js';
import { blobStoreSuite } from './blob-store.suite.js';
import { metadataStoreSuite } from './metadata-store.suite.js';
import { uploadSessionsSuite } from './upload-sessions.suite.js';
import { sqliteLeftovers } from './metadata-leftovers.js';
import { loginLimiterSuite } from './login-limiter.suite.js';

blobStoreSuite('filesystem blob store', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-fs-'));
  const store = new FsBlobStore(root);
  await store.init();
  return { store, leftovers: () => readdir(join(root, 'uploads')) };
});

metadataStoreSuite('SQLite metadata store', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'stowage-sqlite-')), 'metadata.sqlite');
  return { store: new SqliteMetadataStore(path), leftovers: sqliteLeftovers(path) };
});

uploadSessionsSuite('SQLite upload sessions', async () => new SqliteMetadataStore(join(await mkdtemp(join(tmpdir(), 'stowage-sqlite-')), 'metadata.sqlite')));
loginLimiterSuite('in-memory login limiter', async (limits, now) => new MemoryLoginLimiter(limits, now));
