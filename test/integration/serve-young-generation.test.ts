/**
 * `stowage serve` runs with a small V8 young generation (bin/stowage.js: peak RSS, issue 15): it
 * re-executes itself with --max-semi-space-size, keeping its pid (a supervisor's signals still reach
 * the server), and an operator's own choice in NODE_OPTIONS wins.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveChild } from '../helpers/serve-child.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-young-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function nodeArgsOf(pid: number): Promise<string[]> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  return argv.slice(
    1,
    argv.findIndex((a) => a.endsWith('stowage.js')),
  );
}

test('serve runs in the pid it was started as, with a 2 MiB semi-space, and answers', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const server = await serveChild(['--port', '0', '--data-dir', join(dir, 'a')], { PATH: process.env.PATH });
  try {
    assert.ok(server.url, `the server started: ${server.output()}`);
    assert.deepEqual(await nodeArgsOf(server.child.pid!), ['--max-semi-space-size=2']);
    assert.equal((await fetch(`${server.url}/v2/`)).status, 200);
  } finally {
    await server.stop();
  }
  assert.equal(server.child.exitCode, 0, 'SIGTERM to the started pid shuts the server down cleanly');
});

test("an operator's semi-space size in NODE_OPTIONS is kept, not overridden", { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const server = await serveChild(['--port', '0', '--data-dir', join(dir, 'b')], { PATH: process.env.PATH, NODE_OPTIONS: '--max-semi-space-size=8' });
  try {
    assert.ok(server.url, `the server started: ${server.output()}`);
    assert.deepEqual(await nodeArgsOf(server.child.pid!), [], 'not re-executed');
  } finally {
    await server.stop();
  }
});
