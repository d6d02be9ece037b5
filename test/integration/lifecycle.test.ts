/**
 * The server's life as an operator and an orchestrator see it, against the real `stowage serve`
 * process: /healthz and /readyz (readiness failing when the data directory or the SQLite file
 * goes away), graceful shutdown on SIGTERM (an upload PATCH in flight completes, new connections
 * are refused, idle keep-alive connections close, the timeout cuts and exits 1), `npm start`
 * passing SIGTERM on, and HTTPS with a real client (curl, skopeo) and a SIGHUP reload.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request, type IncomingMessage } from 'node:http';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { serveChild, type ServedChild } from '../helpers/serve-child.js';
import { requireTools } from '../helpers/tools.js';
import { buildTestImage } from '../helpers/images.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const children: ServedChild[] = [];
const dirs: string[] = [];

after(async () => {
  await Promise.all(children.map((c) => c.stop()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'stowage-lifecycle-'));
  dirs.push(d);
  return d;
}

async function serve(args: string[]): Promise<ServedChild & { url: string }> {
  const c = await serveChild(['--port', '0', ...args], { ...process.env });
  children.push(c);
  assert.ok(c.url, `the server started: ${c.stderr}`);
  return c as ServedChild & { url: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(c: ServedChild, withinMs: number): Promise<number | null> {
  if (c.child.exitCode !== null) return Promise.resolve(c.child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running after ${withinMs} ms:\n${c.output()}`)), withinMs);
    c.child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Whether a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

async function startUpload(url: string, repo: string): Promise<string> {
  const res = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(res.status, 202);
  return new URL(res.headers.get('location') ?? '', url).href;
}

/** A PATCH whose body the test writes chunk by chunk; `response` settles when the server answers. */
function streamingPatch(location: string) {
  const req = request(location, { method: 'PATCH', agent: false, headers: { 'content-type': 'application/octet-stream' } });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  return { req, response };
}

describe('health endpoints', { timeout: 60_000 }, () => {
  test('/healthz answers 200 and /readyz names the failing store, without a token', async () => {
    const dataDir = await tempDir();
    const server = await serve(['--data-dir', dataDir, '--auth', 'local']);
    const ping = await fetch(`${server.url}/v2/`);
    assert.equal(ping.status, 401, 'the registry itself wants a token');

    const live = await fetch(`${server.url}/healthz`);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ok', checks: { metadata: 'ok', blobs: 'ok' } });

    // The volume under the blob store goes away (unmounted, removed).
    await rm(join(dataDir, 'uploads'), { recursive: true });
    const noBlobs = await fetch(`${server.url}/readyz`);
    assert.equal(noBlobs.status, 503);
    const body = (await noBlobs.json()) as { status: string; checks: Record<string, string> };
    assert.equal(body.status, 'unavailable');
    assert.equal(body.checks.metadata, 'ok');
    assert.match(body.checks.blobs ?? '', /^error: .*uploads/);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'still alive: a restart would not help');
    await mkdir(join(dataDir, 'uploads'));
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200, 'ready again once the directory is back');

    // The SQLite file is deleted under the running server: its writes would vanish at restart.
    await rm(join(dataDir, 'metadata.sqlite'));
    const noMetadata = await fetch(`${server.url}/readyz`);
    assert.equal(noMetadata.status, 503);
    const checks = ((await noMetadata.json()) as { checks: Record<string, string> }).checks;
    assert.match(checks.metadata ?? '', /^error: .*metadata\.sqlite/);
    assert.equal(checks.blobs, 'ok');
    await server.stop();
  });
});

describe('graceful shutdown', { timeout: 120_000 }, () => {
  test('SIGTERM: a PATCH in flight completes and is acknowledged, new connections are refused, idle ones closed, exit 0', async () => {
    const server = await serve(['--data-dir', await tempDir()]);
    const port = Number(new URL(server.url).port);
    const location = await startUpload(server.url, 'lifecycle/drain');

    // An idle keep-alive connection, open before the signal.
    const agent = new Agent({ keepAlive: true });
    const idleSocket = await new Promise<NonNullable<IncomingMessage['socket']>>((resolve, reject) => {
      request(`${server.url}/v2/`, { agent }, (res) => {
        const socket = res.socket;
        res.resume();
        res.once('end', () => resolve(socket));
      })
        .once('error', reject)
        .end();
    });
    const idleClosed = new Promise<void>((resolve) => idleSocket.once('close', () => resolve()));

    const chunk = Buffer.alloc(64 * 1024, 7);
    const chunks = 10;
    const { req, response } = streamingPatch(location);
    req.write(chunk);
    await sleep(200);
    server.child.kill('SIGTERM');
    await waitFor('the listener to close', () => refused(port));
    await Promise.race([idleClosed, sleep(2000).then(() => assert.fail('the idle keep-alive connection was not closed'))]);
    for (let i = 1; i < chunks; i++) {
      await sleep(200);
      req.write(chunk);
    }
    req.end();
    const res = await response;
    res.resume();
    assert.equal(res.statusCode, 202, 'the PATCH in flight is acknowledged');
    assert.equal(res.headers.range, `0-${chunks * chunk.length - 1}`);
    assert.equal(await exited(server, 10_000), 0);
    assert.match(server.output(), /every request in flight finished/);
    agent.destroy();
  });

  test('--shutdown-timeout: a request still running at the timeout is cut, exit 1 with the count', async () => {
    const server = await serve(['--data-dir', await tempDir(), '--shutdown-timeout', '1s']);
    const location = await startUpload(server.url, 'lifecycle/cut');
    const { req, response } = streamingPatch(location);
    response.catch(() => {}); // the connection is cut: that is the point
    req.on('error', () => {});
    req.write(Buffer.alloc(1024));
    await sleep(200);
    const started = Date.now();
    server.child.kill('SIGTERM');
    assert.equal(await exited(server, 10_000), 1);
    assert.ok(Date.now() - started >= 900, 'it waited for the timeout');
    assert.match(server.output(), /1 request\(s\) in flight were cut/);
    req.destroy();
  });

  test('bad --shutdown-timeout is one line, exit 2', async () => {
    const c = await serveChild(['--port', '0', '--data-dir', await tempDir(), '--shutdown-timeout', 'soon'], { ...process.env });
    assert.equal(c.code, 2);
    assert.match(c.stderr.trim(), /^stowage: flag --shutdown-timeout .*"soon" is not allowed; expected a duration in seconds/);
    assert.equal(c.stderr.trim().split('\n').length, 1);
  });

  test('npm start passes SIGTERM to the server: nothing keeps serving after npm exits', { skip: requireTools('npm') }, async () => {
    const dataDir = await tempDir();
    const npm = spawn('npm', ['start', '--silent', '--', '--port', '0', '--data-dir', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout.on('data', (c) => (out += c));
    npm.stderr.on('data', (c) => (out += c));
    try {
      await waitFor('the start line', () => /listening on http:\/\/127\.0\.0\.1:\d+/.test(out), 20_000);
      const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      const npmExit = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
      npm.kill('SIGTERM');
      await Promise.race([npmExit, sleep(10_000).then(() => assert.fail(`npm did not exit:\n${out}`))]);
      await waitFor('the server to stop listening', () => refused(port), 5000);
      assert.match(out, /SIGTERM: shutting down/, 'the server itself got the signal and drained');
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  });
});

/** A self-signed certificate for 127.0.0.1 and localhost, made by openssl as the README shows. */
async function makeCertificate(dir: string, name: string): Promise<{ cert: string; key: string; fingerprint: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await exec('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  return { cert, key, fingerprint: new X509Certificate(await readFile(cert)).fingerprint256 };
}

/** The fingerprint of the certificate a new TLS connection is shown, verified against `ca`. */
function servedFingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('TLS', { skip: requireTools('openssl', 'curl'), timeout: 180_000 }, () => {
  test('--tls-cert/--tls-key serve HTTPS to curl --cacert; SIGHUP reloads, a bad pair keeps the old one', async () => {
    const dir = await tempDir();
    const first = await makeCertificate(dir, 'first');
    const cert = join(dir, 'tls.crt');
    const key = join(dir, 'tls.key');
    await copyFile(first.cert, cert);
    await copyFile(first.key, key);
    const server = await serve(['--data-dir', join(dir, 'data'), '--tls-cert', cert, '--tls-key', key]);
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(server.url).port);

    const { stdout } = await exec('curl', ['-sS', '--cacert', first.cert, '-o', '/dev/null', '-w', '%{http_code} %{http_version}', `${server.url}/v2/`]);
    assert.equal(stdout, '200 1.1');
    const health = await exec('curl', ['-sS', '--cacert', first.cert, `https://localhost:${port}/healthz`]);
    assert.deepEqual(JSON.parse(health.stdout), { status: 'ok' });
    assert.equal(await servedFingerprint(port, await readFile(first.cert)), first.fingerprint);

    // Renewal: new files in place, SIGHUP, and new connections see the new certificate.
    const second = await makeCertificate(dir, 'second');
    await copyFile(second.cert, cert);
    await copyFile(second.key, key);
    server.child.kill('SIGHUP');
    await waitFor('the reload line', () => /SIGHUP: reloaded the TLS certificate/.test(server.output()));
    assert.equal(await servedFingerprint(port, await readFile(second.cert)), second.fingerprint);

    // A certificate with a key that is not its own: refused, logged, the second pair stays.
    const third = await makeCertificate(dir, 'third');
    await copyFile(third.cert, cert);
    await copyFile(first.key, key);
    server.child.kill('SIGHUP');
    await waitFor('the refusal line', () => /SIGHUP: kept the TLS certificate in service/.test(server.output()));
    assert.equal(await servedFingerprint(port, await readFile(second.cert)), second.fingerprint);
    assert.equal(server.child.exitCode, null, 'still serving');
    await server.stop();
  });

  test('one of --tls-cert and --tls-key alone is one config line, exit 2', async () => {
    const dir = await tempDir();
    const { cert } = await makeCertificate(dir, 'alone');
    const c = await serveChild(['--port', '0', '--data-dir', join(dir, 'data'), '--tls-cert', cert], { ...process.env });
    assert.equal(c.code, 2);
    assert.match(c.stderr.trim(), /^stowage: --tls-cert and --tls-key go together/);
    assert.equal(c.stderr.trim().split('\n').length, 1);
  });

  test('skopeo pushes over HTTPS trusting the certificate through --dest-cert-dir', { skip: requireTools('skopeo', 'umoci') }, async () => {
    const dir = await tempDir();
    const { cert, key } = await makeCertificate(dir, 'registry');
    const server = await serve(['--data-dir', join(dir, 'data'), '--tls-cert', cert, '--tls-key', key]);
    const certDir = join(dir, 'certs.d');
    await mkdir(certDir);
    await copyFile(cert, join(certDir, 'ca.crt'));
    const image = await buildTestImage(join(dir, 'image'), { layers: 1, layerSizeBytes: 4096, tag: 'v1' });
    const host = new URL(server.url).host;
    await exec('skopeo', ['copy', '--quiet', '--dest-cert-dir', certDir, `oci:${image.layoutDir}:v1`, `docker://${host}/lifecycle/tls:v1`], { timeout: 60_000 });
    const res = await exec('curl', ['-sS', '--cacert', cert, `${server.url}/v2/lifecycle/tls/tags/list`]);
    assert.deepEqual(JSON.parse(res.stdout), { name: 'lifecycle/tls', tags: ['v1'] });
    await server.stop();
  });
});
