/**
 * The operator's safety nets against real processes: `stowage backup` while a server takes
 * pushes, `stowage restore` into a fresh data directory served by a new server that pulls every
 * image bit-identical; `stowage check` finding corrupt, missing and dangling content, and
 * `--repair` removing only what a re-push puts back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DataPaths } from '../../src/adapters/embedded/paths.js';
import { runCli, type ServedChild, serveChild } from '../helpers/serve-child.js';
import { assertPullsIdentical, type PushedImage, pushAgain, pushImage } from '../helpers/push.js';

let dir = '';
const children: ServedChild[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-backup-'));
});
after(async () => {
  for (const c of children) await c.stop();
  await rm(dir, { recursive: true, force: true });
});

async function serve(dataDir: string): Promise<ServedChild & { url: string }> {
  const c = await serveChild(['--port', '0', '--data-dir', dataDir], { PATH: process.env.PATH }, 60_000);
  children.push(c);
  assert.ok(c.url, `the server started: ${c.stderr}`);
  return c as ServedChild & { url: string };
}

test('a backup taken while pushes run restores into a fresh data dir that serves every image bit-identical', async () => {
  const live = join(dir, 'live');
  const server = await serve(live);
  const before: PushedImage[] = [];
  for (let i = 0; i < 4; i++) before.push(await pushImage(server.url, `team/app${i % 2}`, `v${i}`));

  // Pushes keep arriving while the backup runs; each must succeed and none may half-appear.
  let pushing = true;
  const during: PushedImage[] = [];
  const pusher = (async () => {
    for (let i = 0; pushing; i++) during.push(await pushImage(server.url, 'team/busy', `b${i}`, 3, 32 * 1024));
  })();
  const backup = await runCli(['backup', join(dir, 'backup'), '--data-dir', live], '', 120_000);
  pushing = false;
  await pusher;
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, /^backed up \d+ repositories, \d+ manifests, \d+ blobs \(\d+ bytes\) into /);
  assert.ok(during.length > 0, 'pushes ran during the backup');

  const restoredDir = join(dir, 'restored');
  const restore = await runCli(['restore', join(dir, 'backup'), '--data-dir', restoredDir], '', 120_000);
  assert.equal(restore.code, 0, restore.stderr);
  assert.match(restore.stdout, /^restored \d+ manifests, \d+ blobs \(\d+ bytes, every one verified\) into /);

  const check = await runCli(['check', '--data-dir', restoredDir], '', 120_000);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /0 problem\(s\), 0 repaired, 0 remaining\n$/);

  const restored = await serve(restoredDir);
  for (const image of before) await assertPullsIdentical(restored.url, image);
  // What was pushed during the backup is in it whole, or not at all.
  let included = 0;
  for (const image of during) {
    const res = await fetch(`${restored.url}/v2/${image.repository}/manifests/${image.tag}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    if (res.status === 404) continue;
    assert.equal(res.status, 200);
    await assertPullsIdentical(restored.url, image);
    included++;
  }
  assert.ok(included <= during.length);
  // The live server kept serving through it all.
  for (const image of [...before, ...during]) await assertPullsIdentical(server.url, image);
});

test('restore refuses a data dir that is not empty and a damaged backup, and restores nothing', async () => {
  const live = join(dir, 'live2');
  const server = await serve(live);
  const image = await pushImage(server.url, 'solo', 'v1', 1);
  const backupDir = join(dir, 'backup2');
  assert.equal((await runCli(['backup', backupDir, '--data-dir', live])).code, 0);

  const notEmpty = await runCli(['restore', backupDir, '--data-dir', live]);
  assert.equal(notEmpty.code, 1);
  assert.match(notEmpty.stderr, /^stowage: cannot restore into .*live2: it is not empty/);

  const notBackup = await runCli(['restore', live, '--data-dir', join(dir, 'never')]);
  assert.equal(notBackup.code, 1);
  assert.match(notBackup.stderr, /is not a stowage backup/);

  const layer = [...image.blobs.keys()][1] as string;
  const path = new DataPaths(backupDir).blob(layer);
  const bytes = await readFile(path);
  bytes[0] = (bytes[0] as number) ^ 0xff;
  await writeFile(path, bytes);
  const target = join(dir, 'from-damaged');
  const damaged = await runCli(['restore', backupDir, '--data-dir', target]);
  assert.equal(damaged.code, 1);
  assert.match(damaged.stderr, new RegExp(`the backup in .* is damaged; nothing was restored:\\nblob-corrupt ${layer}: `));
  await assert.rejects(stat(target), /ENOENT/, 'no data directory appears');
});

test('check reports every kind of damage, --repair removes only what a re-push puts back, and the store is sound again', async () => {
  const dataDir = join(dir, 'scrub');
  let server = await serve(dataDir);
  const corrupt = await pushImage(server.url, 'scrub/a', 'v1');
  const missing = await pushImage(server.url, 'scrub/b', 'v1');
  const badManifest = await pushImage(server.url, 'scrub/c', 'v1', 1);
  await server.stop();

  const paths = new DataPaths(dataDir);
  const corruptLayer = [...corrupt.blobs.keys()][1] as string;
  const missingLayer = [...missing.blobs.keys()][2] as string;
  const bytes = await readFile(paths.blob(corruptLayer));
  bytes[10] = (bytes[10] as number) ^ 1;
  await writeFile(paths.blob(corruptLayer), bytes);
  await unlink(paths.blob(missingLayer));
  const db = new Database(paths.metadataDb);
  db.prepare("UPDATE manifests SET content = CAST(? AS BLOB) WHERE repository = 'scrub/c'").run(Buffer.from('{"tampered":true}'));
  db.prepare("INSERT INTO tags (repository, tag, digest, updated_at) VALUES ('scrub/a', 'ghost', ?, '2026-01-01T00:00:00Z')").run(`sha256:${'0'.repeat(64)}`);
  db.close();

  const json = await runCli(['check', '--json', '--data-dir', dataDir], '', 60_000);
  assert.equal(json.code, 1, json.stderr);
  const report = JSON.parse(json.stdout) as { problems: { kind: string; subject: string }[]; remaining: number; checked: { blobs: number } };
  const found = report.problems.map((p) => `${p.kind} ${p.subject}`).sort();
  assert.deepEqual(found, [
    `blob-corrupt ${corruptLayer}`,
    `link-missing-blob scrub/b@${missingLayer}`,
    `manifest-digest-mismatch scrub/c@${badManifest.manifestDigest}`,
    `manifest-missing-blob scrub/a@${corrupt.manifestDigest}`,
    `manifest-missing-blob scrub/b@${missing.manifestDigest}`,
    `tag-dangling scrub/a:ghost`,
  ]);
  assert.equal(report.checked.blobs, 3 + 3 + 2 - 1, 'every blob file was rehashed');

  const text = await runCli(['check', '--repair', '--data-dir', dataDir], '', 60_000);
  assert.equal(text.code, 1, 'manifests that name removed blobs remain until the re-push');
  const lines = text.stdout.trim().split('\n');
  assert.equal(lines.length, 7, text.stdout);
  assert.match(text.stdout, new RegExp(`^blob-corrupt ${corruptLayer}: .*\\[repaired: removed the file and 1 link\\(s\\); the next push uploads it again\\]$`, 'm'));
  assert.match(text.stdout, /^manifest-digest-mismatch scrub\/c@.*\[repaired: removed the manifest and its tags v1; push the image again\]$/m);
  assert.match(text.stdout, /^tag-dangling scrub\/a:ghost: .*\[repaired: removed the tag\]$/m);
  assert.match(lines.at(-1) as string, /^checked 7 blobs \(\d+ bytes\), 7 links, 3 manifests, 3 tags, 0 referrers: 6 problem\(s\), 4 repaired, 2 remaining$/);
  await assert.rejects(stat(paths.blob(corruptLayer)), /ENOENT/);

  server = await serve(dataDir);
  const head = await fetch(`${server.url}/v2/scrub/a/blobs/${corruptLayer}`, { method: 'HEAD' });
  assert.equal(head.status, 404, 'the corrupt blob is no longer served; a client uploads it again');
  for (const image of [corrupt, missing, badManifest]) await pushAgain(server.url, image);
  for (const image of [corrupt, missing, badManifest]) await assertPullsIdentical(server.url, image);

  const clean = await runCli(['check', '--data-dir', dataDir], '', 60_000);
  assert.equal(clean.code, 0, clean.stdout);
  assert.match(clean.stdout, /^checked 8 blobs \(\d+ bytes\), 8 links, 3 manifests, 3 tags, 0 referrers: 0 problem\(s\), 0 repaired, 0 remaining\n$/);
});
