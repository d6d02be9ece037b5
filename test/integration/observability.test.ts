/**
 * Logs and metrics as an operator meets them, through the real `stowage serve` process: every
 * stdout line (the start banner aside) is a JSON record; each request writes one access line
 * with its fields, joined to the request by its id, which the client may choose (a safe
 * X-Request-Id) and always gets back; /metrics is Prometheus text whose counters move by exactly
 * the requests made; --metrics-addr moves it off the registry port; --log-level warn silences
 * the access lines.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../bin/stowage.js', import.meta.url));

interface Served {
  url: string;
  metricsUrl: string;
  /** Every stdout line so far. */
  lines: string[];
  stop(): Promise<void>;
}

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-observability-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function serve(name: string, args: string[] = []): Promise<Served> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', join(dir, name), ...args], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stderr?.on('data', (c) => (stderr += c));
  const banner = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c) => {
      partial += c;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (line.includes('listening on')) resolve(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`stowage serve exited with ${code}: ${stderr}`)));
  });
  const url = /listening on (http:\/\/\S+:\d+)/.exec(banner)?.[1] as string;
  const metricsUrl = /metrics on (http:\/\/\S+\/metrics)/.exec(banner)?.[1] as string;
  return {
    url,
    metricsUrl,
    lines,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

/** The JSON records among the lines: every line but the start banner must be one. */
function records(lines: string[]): Record<string, unknown>[] {
  return lines
    .filter((l) => l.trim() && !l.startsWith('stowage: registry listening on'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return assert.fail(`a stdout line is not JSON: ${l}`);
      }
    });
}

const accessLines = (lines: string[]) => records(lines).filter((r) => r.message === 'request');

/** Lines are written after the response: wait until `count` access lines are there. */
async function waitForAccessLines(lines: string[], count: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 100; i++) {
    const found = accessLines(lines);
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  return accessLines(lines);
}

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A push (config blob, layer blob, manifest) and a pull (manifest, layer), as plain HTTP requests; returns each response. */
/** The requests made, and the bytes the push stored (its two blobs and its manifest). */
async function pushAndPull(base: string, repo: string): Promise<{ method: string; status: number; requestId: string | null }[] & { stored: number }> {
  const done: { method: string; status: number; requestId: string | null }[] = [];
  const call = async (method: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, { method, redirect: 'manual', ...init });
    await res.arrayBuffer();
    done.push({ method, status: res.status, requestId: res.headers.get('x-request-id') });
    return res;
  };
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const layer = Buffer.from('layer bytes '.repeat(100));
  for (const blob of [config, layer]) {
    const started = await call('POST', `/v2/${repo}/blobs/uploads/`);
    assert.equal(started.status, 202);
    const location = started.headers.get('location') as string;
    const sep = location.includes('?') ? '&' : '?';
    const put = await call('PUT', `${location}${sep}digest=${sha256(blob)}`, { body: blob, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(put.status, 201);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  });
  const put = await call('PUT', `/v2/${repo}/manifests/v1`, { body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(put.status, 201);
  assert.equal((await call('GET', `/v2/${repo}/manifests/v1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).status, 200);
  assert.equal((await call('GET', `/v2/${repo}/blobs/${sha256(layer)}`)).status, 200);
  return Object.assign(done, { stored: config.length + layer.length + Buffer.byteLength(manifest) });
}

/** Prometheus text format, the parts a test reads: `name{labels} value` per sample. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(m, `a metrics line is not a sample: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return samples;
}

/** The sum of a metric's samples whose labels include all of `labels`. */
function total(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of samples) {
    if (!key.startsWith(`${name}{`) && key !== name) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}

test('every request writes one access line with its fields, joined by the request id it returns', async () => {
  const s = await serve('access');
  try {
    const made = await pushAndPull(s.url, 'obs/app');
    const lines = await waitForAccessLines(s.lines, made.length);
    assert.equal(lines.length, made.length, 'one access line per request');
    const byId = new Map(lines.map((l) => [l.requestId, l]));
    for (const r of made) {
      assert.ok(r.requestId, 'every response carries X-Request-Id');
      const line = byId.get(r.requestId);
      assert.ok(line, `an access line for request ${r.requestId}`);
      assert.equal(line.method, r.method);
      assert.equal(line.status, r.status);
      assert.equal(line.level, 'INFO');
      assert.equal(line.repository, 'obs/app');
      assert.equal(line.clientAddress, '127.0.0.1');
      // Without auth nobody is identified: the logger leaves out empty fields (the user's here).
      assert.equal(line.user, undefined);
      assert.equal(typeof line.timestamp, 'string');
      assert.equal(typeof line.durationMs, 'number');
      for (const field of ['bytesIn', 'bytesOut']) assert.equal(typeof line[field], 'number', field);
    }
    const ops = lines.map((l) => l.operation);
    assert.deepEqual(ops, ['startUpload', 'putUpload', 'startUpload', 'putUpload', 'putManifest', 'getManifest', 'getBlob']);
    const blobGet = lines.at(-1) as Record<string, unknown>;
    assert.equal(blobGet.bytesOut, 'layer bytes '.length * 100, 'bytes out: the blob');
    const layerPut = lines[3] as Record<string, unknown>;
    assert.equal(layerPut.bytesIn, 'layer bytes '.length * 100, 'bytes in: the blob');
    // Every other JSON line written during a request (events, warnings) carries its id too.
    const ids = new Set(made.map((r) => r.requestId));
    for (const r of records(s.lines).filter((r) => r.message !== 'request' && r.requestId !== undefined)) assert.ok(ids.has(r.requestId as string), JSON.stringify(r));
  } finally {
    await s.stop();
  }
});

test('a safe X-Request-Id is kept; a hostile one is replaced', async () => {
  const s = await serve('request-id');
  try {
    const sent = 'trace-0123:abc/DEF.ghi_jkl=+@';
    const ok = await fetch(`${s.url}/v2/`, { headers: { 'x-request-id': sent } });
    assert.equal(ok.headers.get('x-request-id'), sent);
    const hostile = ['x'.repeat(129), 'a"b', "it's", 'a b', 'a\tb', '{"level":"ERROR"}'];
    const answered: string[] = [];
    for (const id of hostile) {
      const res = await fetch(`${s.url}/v2/`, { headers: { 'x-request-id': id } });
      const got = res.headers.get('x-request-id') as string;
      assert.notEqual(got, id);
      assert.match(got, /^[0-9a-f-]{36}$/, 'a generated id');
      answered.push(got);
    }
    const lines = await waitForAccessLines(s.lines, 1 + hostile.length);
    assert.equal(lines[0]?.requestId, sent);
    assert.deepEqual(
      lines.slice(1).map((l) => l.requestId),
      answered,
    );
    // A newline cannot even be sent in a header; every line stayed one JSON record (records() checks).
    assert.equal(records(s.lines).length >= lines.length, true);
  } finally {
    await s.stop();
  }
});

test('/metrics: Prometheus text whose counters move by exactly the requests made', async () => {
  const s = await serve('metrics');
  try {
    assert.equal(s.metricsUrl, `${s.url}/metrics`);
    const before = parseMetrics(await (await fetch(s.metricsUrl)).text());
    const made = await pushAndPull(s.url, 'obs/metrics');
    await waitForAccessLines(s.lines, made.length);
    const res = await fetch(s.metricsUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const now = parseMetrics(await res.text());
    const moved = (name: string, labels: Record<string, string> = {}) => total(now, name, labels) - total(before, name, labels);
    assert.equal(moved('stowage_http_requests_total'), made.length, 'scrapes are not counted');
    assert.equal(moved('stowage_http_requests_total', { operation: 'startUpload', status: '202', method: 'POST' }), 2);
    assert.equal(moved('stowage_http_requests_total', { operation: 'putUpload', status: '201', method: 'PUT' }), 2);
    assert.equal(moved('stowage_http_requests_total', { operation: 'putManifest', status: '201' }), 1);
    assert.equal(moved('stowage_http_requests_total', { operation: 'getBlob', status: '200' }), 1);
    assert.equal(moved('stowage_http_request_duration_seconds_count', { operation: 'getManifest' }), 1);
    assert.equal(moved('stowage_http_response_bytes_total', { operation: 'getBlob' }), 'layer bytes '.length * 100);
    assert.ok(moved('stowage_http_request_bytes_total', { operation: 'putUpload' }) >= 'layer bytes '.length * 100);
    assert.equal(total(now, 'stowage_uploads_in_flight'), 0);
    assert.equal(moved('stowage_storage_bytes'), made.stored, 'the storage gauge grew by the blobs and the manifest pushed');
    assert.ok(total(now, 'stowage_process_resident_memory_bytes') > 0 || total(now, 'stowage_nodejs_heap_size_used_bytes') > 0, 'default process metrics');
  } finally {
    await s.stop();
  }
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

test('--metrics-addr serves /metrics there and not on the registry port', async () => {
  const port = await freePort();
  const s = await serve('metrics-addr', ['--metrics-addr', `127.0.0.1:${port}`]);
  try {
    assert.equal(s.metricsUrl, `http://127.0.0.1:${port}/metrics`);
    const there = await fetch(s.metricsUrl);
    assert.equal(there.status, 200);
    assert.match(await there.text(), /^# HELP stowage_/m);
    const main = await fetch(`${s.url}/metrics`);
    await main.arrayBuffer();
    assert.equal(main.status, 404, 'the registry port answers /metrics as any unknown path');
  } finally {
    await s.stop();
  }
});

test('--log-level warn silences the access lines; X-Request-Id still comes back', async () => {
  const s = await serve('quiet', ['--log-level', 'warn']);
  try {
    const res = await fetch(`${s.url}/v2/`);
    assert.ok(res.headers.get('x-request-id'));
    await fetch(`${s.url}/v2/nope/manifests/missing`);
    await new Promise((r) => setTimeout(r, 200));
    const infos = records(s.lines).filter((r) => r.level === 'INFO' || r.level === 'DEBUG');
    assert.deepEqual(infos, []);
  } finally {
    await s.stop();
  }
});
