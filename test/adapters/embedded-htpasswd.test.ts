/**
 * htpasswd entries and bcrypt hashes in the embedded identity provider: bcrypt hashes (bcryptjs,
 * $2a$/$2b$/$2y$) verify from the users file and from an htpasswd file; the users file wins on a
 * name in both; non-bcrypt entries are refused with their line; a file that turns bad serves no
 * logins (failing closed) and one that is fixed serves again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { HtpasswdFile, parseHtpasswd } from '../../src/adapters/embedded/htpasswd.js';
import { EmbeddedIdentityProvider } from '../../src/adapters/embedded/identity-provider.js';
import { hashPassword, verifyPassword } from '../../src/adapters/embedded/password-hash.js';
import { loadOrCreateSigningKey } from '../../src/adapters/embedded/signing-key.js';
import { UsersFile } from '../../src/adapters/embedded/users-file.js';
import type { Logger } from '../../src/ports/logger.js';

let dir = '';
const errors: string[] = [];
const log: Logger = { error: (m) => errors.push(m), warn: () => {}, info: () => {}, debug: () => {}, child: () => log };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-htpasswd-unit-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('verifyPassword takes bcrypt hashes of every version besides argon2id', async () => {
  const b = await bcrypt.hash('s3cret-pass', 4);
  for (const version of ['2a', '2b', '2y']) {
    const hash = b.replace(/^\$2b\$/, `$${version}$`);
    assert.ok(await verifyPassword('s3cret-pass', hash), version);
    assert.ok(!(await verifyPassword('s3cret-pasS', hash)), version);
    assert.ok(!(await verifyPassword('', hash)), `${version}: an empty password never matches`);
  }
  assert.ok(!(await verifyPassword('s3cret-pass', b.slice(0, -1))), 'a truncated hash is malformed, not an error');
});

test('parseHtpasswd: bcrypt entries; every other kind named with its line', () => {
  const { entries, problems } = parseHtpasswd(
    [
      '# users',
      `alice:${'$2y$05$'}${'a'.repeat(53)}`,
      '',
      'bob:$apr1$wKUnSdR0$Fw7ArMY4n.GPHgkFXiziL0',
      'carol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=',
      'dave:rqXexS6ZhobKA',
      'erin:$6$salt$hash',
      'no-colon',
      `anonymous:${'$2b$05$'}${'b'.repeat(53)}`,
      `alice:${'$2a$05$'}${'c'.repeat(53)}`,
    ].join('\n'),
  );
  assert.deepEqual(
    entries.map((e) => [e.line, e.name]),
    [[2, 'alice']],
  );
  assert.deepEqual(
    problems.map((p) => [p.line, p.reason.split(':')[0]]),
    [
      [4, 'an MD5 (apr1) hash'],
      [5, 'a SHA-1 hash'],
      [6, 'a crypt or plain-text password'],
      [7, 'a 6 crypt hash'],
      [8, 'not NAME'],
      [9, '"anonymous" is reserved'],
      [10, 'alice appears twice'],
    ],
  );
});

test('the provider: htpasswd users log in, the users file wins on a shared name, changes are picked up, a bad file fails closed', async () => {
  const file = join(dir, 'users.htpasswd');
  const write = async (lines: Record<string, string>) =>
    writeFile(file, `${(await Promise.all(Object.entries(lines).map(async ([n, pw]) => `${n}:${(await bcrypt.hash(pw, 4)).replace('$2b$', '$2y$')}`))).join('\n')}\n`);
  await write({ alice: 'alice-htpasswd', bob: 'bob-htpasswd' });
  const users = new UsersFile(join(dir, 'users.json'));
  await users.put('bob', await hashPassword('bob-local'), ['team']);
  const htpasswd = await HtpasswdFile.open(file, log);
  const provider = new EmbeddedIdentityProvider({ users, htpasswd, key: await loadOrCreateSigningKey(join(dir, 'key.pem')), issuer: 'http://r/token' });
  const login = async (username: string, password: string) => (await provider.authenticate({ kind: 'password', username, password }))?.principal ?? null;

  assert.deepEqual(await login('alice', 'alice-htpasswd'), { subject: 'alice', kind: 'user', groups: [], clientId: null, scopes: [], grant: { kind: 'unrestricted' } });
  assert.equal(await login('alice', 'wrong'), null);
  assert.deepEqual((await login('bob', 'bob-local'))?.groups, ['team'], 'the users file wins');
  assert.equal(await login('bob', 'bob-htpasswd'), null);

  await write({ carol: 'carol-htpasswd' });
  assert.equal((await login('carol', 'carol-htpasswd'))?.subject, 'carol', 'a changed file is re-read');
  assert.equal(await login('alice', 'alice-htpasswd'), null, 'alice left the file');

  await writeFile(file, 'carol:$apr1$wKUnSdR0$Fw7ArMY4n.GPHgkFXiziL0\n');
  assert.equal(await login('carol', 'carol-htpasswd'), null, 'a file that turned bad serves nobody');
  assert.match(errors.join('\n'), /users\.htpasswd:1: an MD5 \(apr1\) hash: only bcrypt entries are supported/);
  await write({ carol: 'carol-htpasswd' });
  assert.equal((await login('carol', 'carol-htpasswd'))?.subject, 'carol', 'and serves again once fixed');

  await writeFile(file, 'x:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n');
  await assert.rejects(HtpasswdFile.open(file, log), /^Error: .*users\.htpasswd:1: a SHA-1 hash: only bcrypt entries are supported \(NAME:\$2y\$\.\.\., made by `htpasswd -B`\)$/);
});
