/**
 * How the node server serves the console's files (src/shells/http/console-assets.ts), without a
 * browser: types, caching, the CSP, the app for console routes, 404 for a missing file, the
 * message when the console was never built, and `--no-ui` (the setting) turning it all off.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_CSP, loadConsoleAssets } from '../../src/shells/http/console-assets.js';
import { startServer, type RunningServer } from '../../src/shells/http/server.js';
import { parseServeConfig } from '../../src/cli/serve-config.js';

let dir: string;
let server: RunningServer;
let bare: RunningServer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-console-'));
  const built = join(dir, 'ui');
  await mkdir(join(built, 'assets'), { recursive: true });
  await writeFile(join(built, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(join(built, 'assets', 'main-ABC123.js'), 'console.log(1)');
  await writeFile(join(built, 'assets', 'main-ABC123.css'), 'body{}');
  server = await startServer({ dataDir: join(dir, 'data'), port: 0, metrics: false, console: { dir: built } });
  bare = await startServer({ dataDir: join(dir, 'data2'), port: 0, metrics: false });
});

after(async () => {
  await server?.close();
  await bare?.close();
  await rm(dir, { recursive: true, force: true });
});

test('index.html: HTML, revalidated each time, with the restrictive CSP and nosniff', async () => {
  const res = await fetch(`${server.url}/ui/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.equal(res.headers.get('content-security-policy'), CONSOLE_CSP);
  assert.match(CONSOLE_CSP, /default-src 'none'/);
  assert.match(CONSOLE_CSP, /connect-src 'self'/);
  assert.match(CONSOLE_CSP, /frame-ancestors 'none'/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(await res.text(), '<!doctype html><title>console</title>');
});

test('hashed assets: their type and a year of immutable caching', async () => {
  const js = await fetch(`${server.url}/ui/assets/main-ABC123.js`);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(await js.text(), 'console.log(1)');
  const css = await fetch(`${server.url}/ui/assets/main-ABC123.css`);
  assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
});

test('console routes get the app (a reload works); a missing file is a 404; / and /ui lead to /ui/', async () => {
  for (const path of ['/ui/r/team/app', '/ui/r/my.app/-/manifest/sha256:abc', '/ui/sign-in']) {
    const res = await fetch(`${server.url}${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(await res.text(), '<!doctype html><title>console</title>', path);
  }
  assert.equal((await fetch(`${server.url}/ui/assets/gone-123.js`)).status, 404);
  const traversal = await fetch(`${server.url}/ui/..%2F..%2Fpackage.json`);
  assert.equal(traversal.status, 404, 'no request path reaches the file system');
  const root = await fetch(`${server.url}/`, { redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/ui/');
  const ui = await fetch(`${server.url}/ui`, { redirect: 'manual' });
  assert.equal(ui.status, 301);
  assert.equal(ui.headers.get('location'), '/ui/');
  const post = await fetch(`${server.url}/ui/`, { method: 'POST' });
  assert.equal(post.status, 405);
});

test('the registry API is unchanged beside the console', async () => {
  const res = await fetch(`${server.url}/v2/`);
  assert.equal(res.status, 200);
});

test('without the console (--no-ui), /ui/ and / are the registry 404', async () => {
  const ui = await fetch(`${bare.url}/ui/`);
  assert.equal(ui.status, 404);
  assert.equal(((await ui.json()) as { errors: { code: string }[] }).errors[0]?.code, 'NAME_UNKNOWN');
  assert.equal((await fetch(`${bare.url}/`, { redirect: 'manual' })).status, 404);
});

test('a console never built says how to build it', async () => {
  const assets = await loadConsoleAssets(join(dir, 'not-built'));
  const res = assets.respond('GET', '/ui/');
  assert.equal(res?.status, 503);
  assert.match(String(res?.body), /npm run build/);
  assert.equal(assets.respond('GET', '/v2/'), undefined, 'registry paths are not the console’s');
});

test('the ui setting: on by default, --no-ui and STOWAGE_UI=0 turn it off', () => {
  const on = parseServeConfig([], {});
  assert.ok(on !== 'help' && on.ui === true);
  const flag = parseServeConfig(['--no-ui'], {});
  assert.ok(flag !== 'help' && flag.ui === false);
  const env = parseServeConfig([], { STOWAGE_UI: '0' });
  assert.ok(env !== 'help' && env.ui === false);
});
