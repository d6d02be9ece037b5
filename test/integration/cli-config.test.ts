/**
 * `stowage serve` configuration as an operator meets it, through the real CLI process: flags,
 * environment and `--config FILE` with flags > environment > file > defaults, and refusals in
 * one line naming the setting, the value's source and what is allowed, with exit status 2.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveChild } from '../helpers/serve-child.js';

const CLI = fileURLToPath(new URL('../../../bin/stowage.js', import.meta.url));

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-cli-config-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** The process's own lines on stderr (Node's deprecation and version notices aside). */
const ownLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter(
      (l) =>
        l.trim() &&
        !/NodeVersionSupportWarning|versions published|require node|continue receiving|security updates|upgrade to node|More information|trace-warnings|\(timed out\)/.test(l),
    );

async function refused(args: string[], env: Record<string, string> = {}): Promise<string> {
  const s = await serveChild(args, { PATH: process.env.PATH, ...env });
  await s.stop();
  assert.equal(s.url, undefined, 'the server must not start');
  assert.equal(s.code, 2, s.stderr);
  const lines = ownLines(s.stderr);
  assert.equal(lines.length, 1, s.stderr);
  return lines[0] as string;
}

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

test('a bad flag value names the flag, the setting and what is allowed', async () => {
  assert.equal(await refused(['--port', 'abc']), 'stowage: flag --port (setting port): "abc" is not allowed; expected an integer from 0 to 65535');
});

test('a bad environment value names the variable', async () => {
  const line = await refused([], { STOWAGE_S3_SERVE_BLOBS: 'teleport' });
  assert.equal(line, 'stowage: environment STOWAGE_S3_SERVE_BLOBS (setting s3ServeBlobs): "teleport" is not allowed; expected one of redirect, stream');
});

test('a bad file value names the file and the key path', async () => {
  const yaml = await file('bad-value.yaml', 'port: 5000\ncognito:\n  userPoolId: not-a-pool\n');
  assert.equal(await refused(['--config', yaml]), `stowage: config file ${yaml}, key cognito.userPoolId: "not-a-pool" is not allowed; expected a user pool id, <region>_<id>`);
  const json = await file('bad-value.json', JSON.stringify({ tokenTtl: 5 }));
  assert.match(await refused(['--config', json]), /config file .*bad-value\.json, key tokenTtl: 5 is not allowed; expected an integer from 60 to 86400$/);
});

test('an unknown file key is refused with the keys allowed there', async () => {
  const yaml = await file('unknown.yaml', 'prot: 5000\n');
  assert.match(await refused(['--config', yaml]), /config file .*unknown\.yaml: unknown key prot; allowed at the top level: host, port, /);
  const nested = await file('unknown-nested.yaml', 'cognito:\n  pool: x\n');
  assert.match(await refused(['--config', nested]), /unknown key cognito\.pool; allowed at key cognito: userPoolId, clientIds, /);
  assert.match(await refused(['--config', join(dir, 'absent.yaml')]), /config file .*absent\.yaml: cannot be read \(ENOENT\)/);
});

test('a rule across settings is refused the same way, from any source', async () => {
  const yaml = await file('s3.yaml', 'storage: s3\n');
  assert.equal(await refused(['--config', yaml]), 'stowage: --storage s3 needs --s3-bucket (STOWAGE_S3_BUCKET)');
});

/** Starts `stowage serve`, returns its start line ("registry listening on ... (blobs in DIR, ...)") and stops it. */
function startLine(args: string[], env: Record<string, string>, cwd = dir): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', ...args], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
      const line = out.split('\n').find((l) => l.includes('listening on'));
      if (line) {
        child.kill('SIGTERM');
        resolve(line);
      }
    });
    child.stderr.on('data', (c) => (err += c));
    child.once('exit', (code) => reject(new Error(`exited ${code} before listening: ${err}`)));
  });
}

test('flags win over the environment, the environment over the file, the file over the defaults', async () => {
  // The start line says where blobs live: the data directory whichever source won names.
  const yaml = await file('layers.yaml', 'port: 0\ndataDir: from-file\nevents: [log]\n');
  const blobsIn = (line: string) => /blobs in (\S+?),/.exec(line)?.[1];
  assert.equal(blobsIn(await startLine(['--config', yaml], {})), join(dir, 'from-file'), 'a relative path in the file is relative to the file');
  assert.equal(blobsIn(await startLine(['--config', yaml], { STOWAGE_DATA_DIR: join(dir, 'from-env') })), join(dir, 'from-env'));
  assert.equal(blobsIn(await startLine(['--config', yaml, '--data-dir', join(dir, 'from-flag')], { STOWAGE_DATA_DIR: join(dir, 'from-env') })), join(dir, 'from-flag'));
  assert.equal(blobsIn(await startLine(['--port', '0'], {})), join(dir, 'data'), 'without any source, ./data');
});

test('`stowage user` finds the data directory through the same sources', async () => {
  const yaml = await file('users.yaml', 'dataDir: users-data\n');
  const r = spawnSync(process.execPath, [CLI, 'user', 'add', 'carol', '--config', yaml], { input: 'carol-password\n', env: { PATH: process.env.PATH }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'users-data', 'users.json')));
  const bad = spawnSync(process.execPath, [CLI, 'user', 'list', '--config', yaml, '--nope'], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
  assert.equal(bad.status, 2, bad.stderr);
});
