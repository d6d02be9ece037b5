/**
 * The `stowage` command as an operator meets it, against the real CLI process: --version, the
 * command list, one line and exit status 2 for an unknown command or flag, a data directory that
 * cannot be created or written reported at once (exit status 1), and `user add` refusing to
 * overwrite a user without --update.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/serve-child.js';

const PACKAGE = fileURLToPath(new URL('../../../package.json', import.meta.url));
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-cli-ops-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('--version and -v print the version of package.json', async () => {
  const { version } = JSON.parse(await readFile(PACKAGE, 'utf8')) as { version: string };
  for (const flag of ['--version', '-v', 'version']) {
    const r = await runCli([flag]);
    assert.equal(r.code, 0, flag);
    assert.equal(r.stdout, `stowage ${version}\n`, flag);
  }
});

test('--help lists every command, one line each, exit 0', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const command of ['serve', 'user add NAME', 'user list', 'user remove NAME', 'user import-htpasswd FILE', 'check', 'backup DIR', 'restore DIR', 'help', 'version']) {
    const lines = r.stdout.split('\n').filter((l) => l.startsWith(`  ${command} `));
    assert.equal(lines.length, 1, `one line for ${command}:\n${r.stdout}`);
    assert.ok(lines[0]!.slice(`  ${command}`.length).trim().length > 10, `${command} says what it does`);
  }
  assert.equal((await runCli(['-h'])).stdout, r.stdout);
});

test('an unknown command or flag: one line naming it and what is allowed, exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /^stowage: unknown command "frobnicate": use serve, user, gc, check, backup, restore, lifecycle, repo, usage, login, help, version/],
    [['--frob'], /^stowage: unknown option "--frob": use --help, --version or a command \(serve, user, gc, check, backup, restore, lifecycle, repo, usage, login, help, version\)/],
    [['serve', '--frob'], /^stowage: unknown option "--frob" for stowage serve: use .*--config FILE, --help/],
    [['serve', '--port', 'abc'], /^stowage: flag --port \(setting port\): "abc" is not allowed; expected an integer from 0 to 65535/],
    [['user', 'add', 'alice', '--frob'], /^stowage: unknown option "--frob" for stowage user: use --data-dir, --config, --groups, --update, --help/],
    [['user', 'frob'], /^stowage: unknown user command "frob": use add, remove, list or import-htpasswd/],
  ];
  for (const [args, expected] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '', args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}:\n${r.stderr}`);
    assert.match(r.stderr, expected);
  }
});

test('a data directory that cannot be created or written: one line and exit 1 within a second (beyond the process start)', async () => {
  const file = join(dir, 'a-file');
  await writeFile(file, '');
  const cases: [string[], RegExp][] = [
    [['serve', '--port', '0', '--data-dir', '/proc/nope'], /the data directory \/proc\/nope cannot be created \(mkdir \/proc\/nope: ENOENT\)/],
    [['serve', '--port', '0', '--data-dir', join(file, 'data')], /cannot be created \(.*a-file\/data: ENOTDIR\)/],
    [['user', 'add', 'alice', '--data-dir', '/proc/nope'], /the data directory \/proc\/nope cannot be created/],
  ];
  for (const [args, expected] of cases) {
    // Starting node and loading the command (each command's modules load when it runs), on this machine now.
    const baseline = (await runCli([args[0]!, '--help'])).ms;
    const r = await runCli(args, 'alice-password\n');
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, expected);
    assert.match(r.stderr, /choose another with --data-dir \(STOWAGE_DATA_DIR\)$/m);
    assert.ok(r.ms - baseline < 1000, `${args.join(' ')} answered in ${Math.round(r.ms)} ms (the start alone takes ${Math.round(baseline)} ms)`);
  }
});

test('user add refuses to overwrite an existing user unless --update (before reading a password)', async () => {
  const data = join(dir, 'users');
  assert.equal((await runCli(['user', 'add', 'alice', '--groups', 'a', '--data-dir', data], 'first-password\n')).code, 0);
  const before = await readFile(join(data, 'users.json'), 'utf8');
  const again = await runCli(['user', 'add', 'alice', '--data-dir', data], 'second-password\n');
  assert.equal(again.code, 1);
  assert.equal(again.stderr, 'stowage: user alice exists: add --update to replace its password and groups\n');
  assert.equal(await readFile(join(data, 'users.json'), 'utf8'), before, 'the users file is untouched');
  const updated = await runCli(['user', 'add', 'alice', '--update', '--groups', 'b', '--data-dir', data], 'second-password\n');
  assert.equal(updated.code, 0, updated.stderr);
  assert.equal(updated.stdout, 'user alice updated (groups: b)\n');
  const created = await runCli(['user', 'add', 'bob', '--update', '--data-dir', data], 'bob-password\n');
  assert.equal(created.stdout, 'user bob added\n', '--update on a new name just adds it');
  assert.equal((await runCli(['user', 'list', '--data-dir', data])).stdout, 'alice\tb\nbob\t\n');
});
