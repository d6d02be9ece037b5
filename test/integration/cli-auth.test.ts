/**
 * The command line of auth: `stowage user add|list|remove` (password from stdin only, 0600
 * file), `serve --auth local` with a policy file answering the challenge with its own address
 * as realm, and the refusal to serve beyond loopback without auth.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseServeConfig } from '../../src/cli/serve-config.js';
import { runCli } from '../helpers/serve-child.js';

const CLI = fileURLToPath(new URL('../../../bin/stowage.js', import.meta.url));
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-cli-auth-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('serve refuses an address beyond loopback without auth, unless told --insecure-no-auth', () => {
  assert.throws(() => parseServeConfig(['--host', '0.0.0.0'], {}), /needs --auth local/);
  assert.throws(() => parseServeConfig(['--host', '10.1.2.3'], {}), /needs --auth local/);
  assert.equal((parseServeConfig(['--host', '0.0.0.0', '--insecure-no-auth'], {}) as { auth: string }).auth, 'none');
  assert.equal((parseServeConfig([], { STOWAGE_HOST: '0.0.0.0', STOWAGE_INSECURE_NO_AUTH: '1' }) as { host: string }).host, '0.0.0.0');
  assert.equal((parseServeConfig(['--host', '127.0.0.1'], {}) as { auth: string }).auth, 'none', 'loopback needs nothing');
  assert.throws(() => parseServeConfig(['--host', '0.0.0.0', '--auth', 'local'], {}), /needs --realm/, 'a wildcard address is no realm clients can reach');
  const ok = parseServeConfig(['--host', '0.0.0.0', '--auth', 'local', '--realm', 'https://registry.example/token', '--service', 'registry.example'], {});
  assert.deepEqual(ok !== 'help' && [ok.auth, ok.realm, ok.service, ok.tokenTtl], ['local', 'https://registry.example/token', 'registry.example', 300]);
  assert.throws(() => parseServeConfig(['--policy', 'p.yaml'], {}), /--policy takes effect only with --auth local/);
  assert.throws(() => parseServeConfig(['--auth', 'local', '--token-ttl', '30'], {}), /tokenTtl/);
  assert.throws(() => parseServeConfig(['--auth', 'ldap'], {}), /auth/);
});

test('user add reads the password from stdin, keeps an owner-only file, never takes it as an argument', async () => {
  const data = join(dir, 'data');
  const added = await runCli(['user', 'add', 'alice', '--groups', 'team-a,ops', '--data-dir', data], 'alice-password\n');
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /user alice added \(groups: team-a, ops\)/);
  const file = join(data, 'users.json');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const text = await readFile(file, 'utf8');
  assert.ok(!text.includes('alice-password'));
  assert.match(text, /\$argon2id\$/);
  const asArgument = await runCli(['user', 'add', 'bob', 'bob-password', '--data-dir', data], '');
  assert.notEqual(asArgument.code, 0);
  assert.match(asArgument.stderr, /never an argument/);
  const short = await runCli(['user', 'add', 'bob', '--data-dir', data], 'short\n');
  assert.notEqual(short.code, 0);
  assert.match(short.stderr, /8 to 1024 characters/);
  const reserved = await runCli(['user', 'add', 'anonymous', '--data-dir', data], 'long-enough-pw\n');
  assert.match(reserved.stderr, /reserved/);
  await runCli(['user', 'add', 'bob', '--data-dir', data], 'bob-password\n');
  assert.equal((await runCli(['user', 'list', '--data-dir', data])).stdout, 'alice\tteam-a,ops\nbob\t\n');
  assert.equal((await runCli(['user', 'remove', 'bob', '--data-dir', data])).code, 0);
  assert.equal((await runCli(['user', 'list', '--data-dir', data])).stdout, 'alice\tteam-a,ops\n');
  assert.notEqual((await runCli(['user', 'remove', 'bob', '--data-dir', data])).code, 0);
});

test('serve --auth local --policy FILE: challenge with its own realm, a policy-limited token, a signing key made 0600', async () => {
  const data = join(dir, 'serve');
  assert.equal((await runCli(['user', 'add', 'carol', '--groups', 'readers', '--data-dir', data], 'carol-password\n')).code, 0);
  const policy = join(dir, 'policy.yaml');
  await writeFile(policy, 'version: 1\nrules:\n  - principals:\n      groups: [readers]\n    repositories: ["lib/**"]\n    actions: [pull]\n');
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', data, '--auth', 'local', '--policy', policy], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH },
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => {
        out += c;
        const m = /listening on (http:\/\/\S+) .*auth local, policy /.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr.on('data', (c) => (err += c));
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    const host = new URL(url).host;
    const ping = await fetch(`${url}/v2/`);
    assert.equal(ping.status, 401);
    assert.equal(ping.headers.get('www-authenticate'), `Bearer realm="${url}/token",service="${host}"`);
    const res = await fetch(`${url}/token?service=${host}&scope=repository:lib/base:pull,push&scope=repository:other:pull`, {
      headers: { authorization: `Basic ${Buffer.from('carol:carol-password').toString('base64')}` },
    });
    assert.equal(res.status, 200);
    const { token } = (await res.json()) as { token: string };
    assert.deepEqual(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).access, [{ type: 'repository', name: 'lib/base', actions: ['pull'] }]);
    assert.equal((await stat(join(data, 'token-signing-key.pem'))).mode & 0o777, 0o600);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});
