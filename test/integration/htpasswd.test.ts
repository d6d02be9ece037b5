/**
 * `serve --auth local --htpasswd FILE` and `stowage user import-htpasswd FILE`, against the real
 * CLI process, with htpasswd files made by Apache's `htpasswd -B` (apache2-utils): logins through
 * the token endpoint, the users file winning on a name in both (with a warning at start), the
 * file re-read when it changes, non-bcrypt entries refused at start naming the line, the import
 * keeping bcrypt hashes, and docker login and skopeo --creds through the whole token flow.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { run } from '../helpers/exec.js';
import { buildTestImage } from '../helpers/images.js';
import { startDockerd } from '../helpers/dockerd.js';
import { requireRoot, requireTools } from '../helpers/tools.js';
import { runCli } from '../helpers/serve-child.js';

const CLI = fileURLToPath(new URL('../../../bin/stowage.js', import.meta.url));
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-htpasswd-'));
});
after(() => rm(dir, { recursive: true, force: true }));

interface Served {
  url: string;
  host: string;
  output: () => string;
  stop(): Promise<void>;
}

/** `stowage serve` as a child process until it listens; rejects with its output when it exits first. */
function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  return new Promise((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/(\S+))/.exec(out);
      if (m) resolve({ url: m[1]!, host: m[2]!, output: () => out, stop });
    });
    child.once('exit', (code) => reject(Object.assign(new Error(`serve exited ${code}: ${out}`), { code, output: out })));
  });
}

async function login(s: Served, user: string, password: string): Promise<number> {
  const res = await fetch(`${s.url}/token?service=${s.host}&scope=repository:team/app:pull,push`, {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
  });
  await res.arrayBuffer();
  return res.status;
}

const htpasswd = (args: string[]) => run('htpasswd', args, { timeoutMs: 30_000 });

describe('serve --auth local --htpasswd FILE (a file made by htpasswd -B)', { skip: requireTools('htpasswd') }, () => {
  test('its bcrypt users log in; the users file wins on a shared name, with a warning at start; the file is re-read when it changes', async () => {
    const data = join(dir, 'serve-data');
    const file = join(dir, 'serve.htpasswd');
    await htpasswd(['-B', '-C', '5', '-c', '-b', file, 'alice', 'alice-from-htpasswd']);
    await htpasswd(['-B', '-C', '5', '-b', file, 'bob', 'bob-from-htpasswd']);
    assert.match(await readFile(file, 'utf8'), /^alice:\$2y\$05\$/m, 'a real htpasswd -B file');
    assert.equal((await runCli(['user', 'add', 'bob', '--data-dir', data], 'bob-from-users-file\n')).code, 0);
    const s = await serve(['--data-dir', data, '--auth', 'local', '--htpasswd', file]);
    try {
      assert.match(s.output(), /htpasswd: 1 user\(s\) of .* also in the users file, which wins for them: bob/);
      assert.equal(await login(s, 'alice', 'alice-from-htpasswd'), 200);
      assert.equal(await login(s, 'alice', 'wrong-password'), 401);
      assert.equal(await login(s, 'bob', 'bob-from-users-file'), 200, 'the users file wins');
      assert.equal(await login(s, 'bob', 'bob-from-htpasswd'), 401, 'the htpasswd entry of a name in the users file is not used');
      assert.equal(await login(s, 'carol', 'carol-password'), 401);
      await htpasswd(['-B', '-C', '5', '-b', file, 'carol', 'carol-password']);
      assert.equal(await login(s, 'carol', 'carol-password'), 200, 'added while the server runs');
      await htpasswd(['-D', file, 'alice']);
      assert.equal(await login(s, 'alice', 'alice-from-htpasswd'), 401, 'removed while the server runs');
    } finally {
      await s.stop();
    }
  });

  test('a file with MD5, SHA or crypt entries is refused at start: one line naming the line and the supported format', async () => {
    const file = join(dir, 'mixed.htpasswd');
    await htpasswd(['-B', '-C', '5', '-c', '-b', file, 'alice', 'alice-password']);
    await htpasswd(['-m', '-b', file, 'bob', 'bob-password']); // MD5 (apr1), line 2
    const refused = await serve(['--data-dir', join(dir, 'mixed-data'), '--auth', 'local', '--htpasswd', file]).then(
      (s) => s.stop().then(() => assert.fail('served a file with an MD5 entry')),
      (err: { code: number; output: string }) => err,
    );
    assert.equal(refused.code, 1);
    const lines = refused.output.trim().split('\n');
    assert.equal(lines.length, 1, refused.output);
    assert.match(lines[0]!, /mixed\.htpasswd:2: an MD5 \(apr1\) hash: only bcrypt entries are supported \(NAME:\$2y\$\.\.\., made by `htpasswd -B`\)$/);
    await writeFile(file, `# comment\n\nalice:${await bcrypt.hash('x', 4)}\ncarol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n`);
    const sha = await serve(['--data-dir', join(dir, 'mixed-data'), '--auth', 'local', '--htpasswd', file]).catch((err: { output: string }) => err);
    assert.match((sha as { output: string }).output, /:4: a SHA-1 hash: only bcrypt/);
    const flagAlone = await serve(['--data-dir', join(dir, 'mixed-data'), '--htpasswd', file]).catch((err: { code: number; output: string }) => err);
    assert.equal((flagAlone as { code: number }).code, 2);
    assert.match((flagAlone as { output: string }).output, /--htpasswd takes effect only with --auth local/);
  });
});

describe('stowage user import-htpasswd FILE', { skip: requireTools('htpasswd') }, () => {
  test('copies the bcrypt entries with their hashes, skips (and names) the others, refuses existing users unless --update', async () => {
    const data = join(dir, 'import-data');
    const file = join(dir, 'import.htpasswd');
    await htpasswd(['-B', '-C', '5', '-c', '-b', file, 'alice', 'alice-password']);
    await htpasswd(['-B', '-C', '5', '-b', file, 'bob', 'bob-password']);
    await htpasswd(['-m', '-b', file, 'md5user', 'md5-password']);
    await htpasswd(['-B', '-C', '5', '-b', file, 'Upper', 'upper-password']);
    assert.equal((await runCli(['user', 'add', 'bob', '--data-dir', data], 'bob-local-password\n')).code, 0);

    const first = await runCli(['user', 'import-htpasswd', file, '--groups', 'ci', '--data-dir', data]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `imported 1 user from ${file} (1 added, 0 updated), skipped 3\n`);
    assert.match(first.stderr, /line 2: user bob exists \(add --update to replace it\)/);
    assert.match(first.stderr, /line 3: an MD5 \(apr1\) hash/);
    assert.match(first.stderr, /line 4: user name "Upper" must be/);
    const stored = JSON.parse(await readFile(join(data, 'users.json'), 'utf8')) as { users: Record<string, { passwordHash: string; groups: string[] }> };
    const alice = (await readFile(file, 'utf8')).split('\n')[0]!.split(':')[1];
    assert.equal(stored.users.alice!.passwordHash, alice, 'the bcrypt hash kept as it is');
    assert.deepEqual(stored.users.alice!.groups, ['ci']);
    assert.match(stored.users.bob!.passwordHash, /^\$argon2id\$/, 'bob was not replaced');

    const update = await runCli(['user', 'import-htpasswd', file, '--update', '--data-dir', data]);
    assert.equal(update.stdout, `imported 2 users from ${file} (0 added, 2 updated), skipped 2\n`);

    const s = await serve(['--data-dir', data, '--auth', 'local']);
    try {
      assert.equal(await login(s, 'alice', 'alice-password'), 200, 'an imported bcrypt hash verifies from the users file');
      assert.equal(await login(s, 'bob', 'bob-password'), 200, 'replaced with --update');
      assert.equal(await login(s, 'alice', 'wrong-password'), 401);
    } finally {
      await s.stop();
    }
  });
});

describe('skopeo --creds through the token flow against --htpasswd', { skip: requireTools('htpasswd', 'skopeo', 'umoci'), timeout: 240_000 }, () => {
  test('skopeo copy with --dest-creds and inspect with --creds log in as an htpasswd user; a wrong password is refused', async () => {
    const work = join(dir, 'skopeo');
    const file = join(dir, 'skopeo.htpasswd');
    await htpasswd(['-B', '-c', '-b', file, 'pusher', 'pusher-password-1']);
    const image = await buildTestImage(join(work, 'image'), { layers: 1, layerSizeBytes: 4096, tag: 'v1' });
    const s = await serve(['--data-dir', join(work, 'data'), '--auth', 'local', '--htpasswd', file]);
    try {
      const ref = `docker://${s.host}/team/app:v1`;
      await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', 'pusher:pusher-password-1', `oci:${image.layoutDir}:v1`, ref], { timeoutMs: 120_000 });
      const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', 'pusher:pusher-password-1', ref], { timeoutMs: 60_000 });
      assert.equal(JSON.parse(stdout).schemaVersion, 2);
      await assert.rejects(
        run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', 'pusher:wrong-password', ref], { timeoutMs: 60_000 }),
        /unauthorized|invalid username or password/i,
      );
      await assert.rejects(
        run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${image.layoutDir}:v1`, `docker://${s.host}/team/anon:v1`], { timeoutMs: 60_000 }),
        (err: Error) => /authentication required|unauthorized/i.test(err.message) && !/denied/i.test(err.message),
        'a push without credentials is asked to log in (401), never denied (403)',
      );
    } finally {
      await s.stop();
    }
  });
});

describe('docker login against --htpasswd', { skip: requireTools('htpasswd', 'dockerd', 'docker') || requireRoot('dockerd'), timeout: 240_000 }, () => {
  test('docker login as an htpasswd user succeeds through the token flow; a wrong password fails', async () => {
    const work = join(dir, 'docker');
    const file = join(dir, 'docker.htpasswd');
    await htpasswd(['-B', '-c', '-b', file, 'dockeruser', 'docker-password-1']);
    const s = await serve(['--data-dir', join(work, 'data'), '--auth', 'local', '--htpasswd', file]);
    const dockerd = await startDockerd(join(work, 'dockerd')).catch(async (err) => {
      await s.stop();
      throw err;
    });
    try {
      await assert.rejects(
        dockerd.docker(['login', '-u', 'dockeruser', '--password-stdin', s.host], { input: 'not-the-password\n' }),
        /unauthorized|invalid username or password/i,
      );
      const { stdout } = await dockerd.docker(['login', '-u', 'dockeruser', '--password-stdin', s.host], { input: 'docker-password-1\n' });
      assert.match(stdout, /Login Succeeded/);
    } finally {
      await dockerd.stop();
      await s.stop();
    }
  });
});
