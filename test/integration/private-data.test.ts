/**
 * Private by default (issue 12, item 4): `stowage serve` started with the usual umask 022 keeps
 * every directory of its data directory 0700 and every file 0600 (blobs, uploads in progress,
 * metadata.sqlite with its -wal and -shm, events.jsonl, audit.jsonl, users.json, the signing
 * key), so no other local user reads private layers past the registry's auth; a data directory
 * left wider by an older release gets one warning line at start.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, serveChild } from '../helpers/serve-child.js';
import { pullImage, pushImage } from '../helpers/push-pull.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-private-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** Every entry under `root` (itself included) with its permission bits. */
async function modes(root: string): Promise<{ path: string; mode: number; isDir: boolean }[]> {
  const out = [{ path: root, mode: (await stat(root)).mode & 0o777, isDir: true }];
  for (const entry of await readdir(root, { recursive: true })) {
    const path = join(root, entry);
    const s = await stat(path);
    out.push({ path, mode: s.mode & 0o777, isDir: s.isDirectory() });
  }
  return out;
}

test('under umask 022, every directory the server makes is 0700 and every file 0600', async () => {
  const data = join(dir, 'fresh');
  assert.equal((await runCli(['user', 'add', 'alice', '--data-dir', data], 'alice-password\n')).code, 0);
  const server = await serveChild(['--port', '0', '--data-dir', data, '--auth', 'local'], { PATH: process.env.PATH }, 30_000, 'umask 022');
  try {
    assert.ok(server.url, `the server started: ${server.output()}`);
    assert.doesNotMatch(server.output(), /readable by other local users/, 'a data directory it made itself needs no warning');
    const host = new URL(server.url).host;
    const tokenRes = await fetch(`${server.url}/token?service=${host}&scope=repository:private/app:pull,push`, {
      headers: { authorization: `Basic ${Buffer.from('alice:alice-password').toString('base64')}` },
    });
    assert.equal(tokenRes.status, 200);
    const { token } = (await tokenRes.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    await pushImage(server.url, 'private/app', 'v1', 100_000, auth);
    await pullImage(server.url, 'private/app', 'v1', auth);
    // An upload left in progress, so its file is there to be checked too.
    const started = await fetch(`${server.url}/v2/private/app/blobs/uploads/`, { method: 'POST', headers: auth });
    assert.equal(started.status, 202);
    const patched = await fetch(new URL(started.headers.get('location') ?? '', server.url), {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(1000, 1),
    });
    assert.equal(patched.status, 202);

    const entries = await modes(data);
    const names = entries.map((e) => e.path.slice(data.length + 1));
    for (const expected of ['metadata.sqlite', 'metadata.sqlite-wal', 'metadata.sqlite-shm', 'events.jsonl', 'audit.jsonl', 'users.json', 'token-signing-key.pem']) {
      assert.ok(names.includes(expected), `${expected} is there to check (found ${names.filter((n) => !n.includes('/')).join(', ')})`);
    }
    assert.ok(names.some((n) => n.startsWith('blobs/sha256/')) && names.some((n) => n.startsWith('uploads/')), 'blobs and an upload are there to check');
    const wrong = entries.filter((e) => e.mode !== (e.isDir ? 0o700 : 0o600)).map((e) => `${e.path} ${e.mode.toString(8)}`);
    assert.deepEqual(wrong, [], 'directories 0700, files 0600');
  } finally {
    await server.stop();
  }
});

test('a data directory left readable by others: one warning line at start naming what to fix', async () => {
  const data = join(dir, 'old');
  await mkdir(data);
  await chmod(data, 0o755);
  await writeFile(join(data, 'events.jsonl'), '', { mode: 0o644 });
  await chmod(join(data, 'events.jsonl'), 0o644);
  const server = await serveChild(['--port', '0', '--data-dir', data], { PATH: process.env.PATH }, 30_000, 'umask 022');
  try {
    assert.ok(server.url, `the server started: ${server.output()}`);
    const warnings = server
      .output()
      .split('\n')
      .filter((line) => /readable by other local users/.test(line));
    assert.equal(warnings.length, 1, server.output());
    assert.match(warnings[0] ?? '', new RegExp(`${data} \\(0755\\).*events\\.jsonl \\(0644\\).*chmod -R go-rwx`));
  } finally {
    await server.stop();
  }
});
