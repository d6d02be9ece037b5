/**
 * The SQLite store keeps its hottest reads (manifest by tag, tags and catalog pages, repository
 * existence) while the database is unchanged. A reader must never be served what another
 * writer already changed: the server's own writes, and another process's on the same data
 * directory (`stowage gc`, `stowage check --repair`, the admin commands), which open a connection
 * of their own, as the second store here does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/adapters/embedded/sqlite-metadata-store.js';
import type { ManifestRecord } from '../../src/ports/metadata-store.js';

const MEDIA = 'application/vnd.oci.image.index.v1+json';

function manifest(repository: string, text: string): ManifestRecord {
  const content = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA, manifests: [], annotations: { text } }));
  const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
  return { repository, digest, mediaType: MEDIA, content, artifactType: null, subject: null, annotations: null, createdAt: new Date().toISOString() };
}

async function twoConnections(): Promise<{ server: SqliteMetadataStore; other: SqliteMetadataStore }> {
  const path = join(await mkdtemp(join(tmpdir(), 'stowage-read-cache-')), 'metadata.sqlite');
  const server = new SqliteMetadataStore(path);
  return { server, other: new SqliteMetadataStore(path) };
}

test('a manifest by tag follows a tag moved or deleted by another process', async () => {
  const { server, other } = await twoConnections();
  const [a, b] = [manifest('team/app', 'a'), manifest('team/app', 'b')];
  await server.putManifest(a, null);
  await server.putManifest(b, null);
  await server.setTag('team/app', 'latest', a.digest);
  for (let i = 0; i < 3; i++) assert.equal((await server.getManifestByTag('team/app', 'latest'))?.digest, a.digest);

  await other.setTag('team/app', 'latest', b.digest);
  assert.equal((await server.getManifestByTag('team/app', 'latest'))?.digest, b.digest, 'moved by the other connection');
  await other.deleteTag('team/app', 'latest');
  assert.equal(await server.getManifestByTag('team/app', 'latest'), null, 'deleted by the other connection');
  await other.setTag('team/app', 'latest', a.digest);
  assert.equal((await server.getManifestByTag('team/app', 'latest'))?.digest, a.digest);
  await other.deleteManifest('team/app', a.digest);
  assert.equal(await server.getManifestByTag('team/app', 'latest'), null, 'its manifest deleted by the other connection');
  server.close();
  other.close();
});

test("the server's own writes show in its next reads", async () => {
  const { server, other } = await twoConnections();
  const [a, b] = [manifest('team/app', 'a'), manifest('team/app', 'b')];
  await server.putManifest(a, null);
  await server.putManifest(b, null);
  await server.setTag('team/app', 'v1', a.digest);
  assert.deepEqual((await server.listTags('team/app', { limit: 10 })).items, ['v1']);
  assert.equal((await server.getManifestByTag('team/app', 'v1'))?.digest, a.digest);

  await server.setTag('team/app', 'v2', b.digest);
  await server.setTag('team/app', 'v1', b.digest);
  assert.deepEqual((await server.listTags('team/app', { limit: 10 })).items, ['v1', 'v2']);
  assert.equal((await server.getManifestByTag('team/app', 'v1'))?.digest, b.digest);
  await server.deleteTag('team/app', 'v2');
  assert.deepEqual((await server.listTags('team/app', { limit: 10 })).items, ['v1']);
  server.close();
  other.close();
});

test('tags pages, the catalog and repository existence follow another process', async () => {
  const { server, other } = await twoConnections();
  const a = manifest('team/app', 'a');
  await server.putManifest(a, null);
  await server.setTag('team/app', 't1', a.digest);
  const first = await server.listTags('team/app', { limit: 1 });
  assert.deepEqual(first, { items: ['t1'], more: false });
  assert.deepEqual(await server.listTags('team/app', { limit: 1 }), first);
  assert.deepEqual((await server.listRepositories({ limit: 10 })).items, ['team/app']);
  assert.equal(await server.repositoryExists('team/app'), true);

  await other.setTag('team/app', 't2', a.digest);
  assert.deepEqual(await server.listTags('team/app', { limit: 1 }), { items: ['t1'], more: true }, 'a tag added by the other connection');
  await other.putManifest(manifest('team/db', 'b'), null);
  await other.setTag('team/db', 'x', manifest('team/db', 'b').digest);
  assert.deepEqual((await server.listRepositories({ limit: 10 })).items, ['team/app', 'team/db']);
  assert.equal(await server.repositoryExists('team/db'), true);
  await other.deleteRepository('team/db');
  assert.deepEqual((await server.listRepositories({ limit: 10 })).items, ['team/app']);
  assert.equal(await server.repositoryExists('team/db'), false);
  server.close();
  other.close();
});

test('a page handed out twice cannot be changed by the first caller', async () => {
  const { server, other } = await twoConnections();
  const a = manifest('team/app', 'a');
  await server.putManifest(a, null);
  await server.setTag('team/app', 't1', a.digest);
  const page = await server.listTags('team/app', { limit: 10 });
  assert.throws(() => page.items.push('forged'), TypeError);
  assert.deepEqual((await server.listTags('team/app', { limit: 10 })).items, ['t1']);
  server.close();
  other.close();
});
