/** The port contract suites against the embedded adapters (filesystem, SQLite, limiter, local users). */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../../src/adapters/embedded/fs-blob-store.js';
import { SqliteMetadataStore } from '../../src/adapters/embedded/sqlite-metadata-store.js';
import { MemoryLoginLimiter } from '../../src/adapters/embedded/login-limiter.js';
import { EmbeddedIdentityProvider } from '../../src/adapters/embedded/identity-provider.js';
import { hashPassword } from '../../src/adapters/embedded/password-hash.js';
import { loadOrCreateSigningKey } from '../../src/adapters/embedded/signing-key.js';
import { UsersFile } from '../../src/adapters/embedded/users-file.js';
import { blobStoreSuite } from './blob-store.suite.js';
import { metadataStoreSuite } from './metadata-store.suite.js';
import { uploadSessionsSuite } from './upload-sessions.suite.js';
import { collectorMetadataSuite } from './collector-metadata.suite.js';
import { sqliteLeftovers } from './metadata-leftovers.js';
import { loginLimiterSuite } from './login-limiter.suite.js';
import { identityProviderSuite } from './identity-provider.suite.js';

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

collectorMetadataSuite('SQLite collector methods', async () => new SqliteMetadataStore(join(await mkdtemp(join(tmpdir(), 'stowage-sqlite-')), 'metadata.sqlite')));
uploadSessionsSuite('SQLite upload sessions', async () => new SqliteMetadataStore(join(await mkdtemp(join(tmpdir(), 'stowage-sqlite-')), 'metadata.sqlite')));
loginLimiterSuite('in-memory login limiter', async (limits, now) => new MemoryLoginLimiter(limits, now));

identityProviderSuite('embedded identity provider', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-idp-'));
  const users = new UsersFile(join(dir, 'users.json'));
  await users.put('alice', await hashPassword('correct horse'), ['team']);
  const provider = new EmbeddedIdentityProvider({ users, key: await loadOrCreateSigningKey(join(dir, 'key.pem')), issuer: 'http://registry.test/token' });
  return { provider, user: { username: 'alice', password: 'correct horse' }, service: 'registry.test' };
});
