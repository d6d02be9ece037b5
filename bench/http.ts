// Plain node:http client pieces the benchmark needs: the measured blob uploads (streamed, chunked,
// generated on the fly) and blob GETs, the catalog walk, and the small monolithic uploads /
// manifest PUTs that set up the tags-list and catalog repositories.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

// 64 sockets: the 32-concurrent blob GET row must not queue behind the agent.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * One request. `body` is sent in `chunkSize` slices with backpressure (so a large Buffer is
 * streamed, not handed to the socket in one write); Content-Length is always set.
 */
export function request(method: string, url: string, opts: { headers?: Record<string, string>; body?: Buffer; chunkSize?: number; timeoutMs?: number } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const body = opts.body ?? Buffer.alloc(0);
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path: u.pathname + u.search,
        agent,
        headers: { ...(opts.headers ?? {}), 'content-length': String(body.length) },
        timeout: opts.timeoutMs ?? 120_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    const chunkSize = opts.chunkSize ?? 1024 * 1024;
    let offset = 0;
    const pump = () => {
      while (offset < body.length) {
        const end = Math.min(offset + chunkSize, body.length);
        const ok = req.write(body.subarray(offset, end));
        offset = end;
        if (!ok) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

export function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function expectStatus(what: string, r: HttpResult, ...ok: number[]): void {
  if (!ok.includes(r.status)) {
    throw new Error(`${what}: HTTP ${r.status} (expected ${ok.join('/')}): ${r.body.toString('utf8').slice(0, 500)}`);
  }
}

function locationOf(base: string, r: HttpResult): string {
  const loc = r.headers.location;
  if (!loc) throw new Error('upload response without Location');
  return new URL(loc, base).toString();
}

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

/**
 * POST (start upload) + ONE streamed PATCH with the whole blob (Content-Length, no Content-Range,
 * as skopeo does) + PUT ?digest= with an empty body. Returns the seconds from the POST to the PUT's 201.
 */
export interface UploadTiming {
  /** POST to the PUT's 201. */
  seconds: number;
  postSec: number;
  patchSec: number;
  /** The final PUT ?digest= (digest check, commit; fsync where the registry does one). */
  putSec: number;
}

export async function streamedBlobUpload(baseUrl: string, repo: string, blob: Buffer, digest: string): Promise<UploadTiming> {
  const t0 = process.hrtime.bigint();
  const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;
  const post = await request('POST', `${baseUrl}/v2/${repo}/blobs/uploads/`);
  expectStatus('POST upload', post, 202);
  const postSec = since(t0);
  const t1 = process.hrtime.bigint();
  const patch = await request('PATCH', locationOf(baseUrl, post), {
    headers: { 'content-type': 'application/octet-stream' },
    body: blob,
    timeoutMs: 600_000,
  });
  expectStatus('PATCH upload', patch, 202);
  const patchSec = since(t1);
  const t2 = process.hrtime.bigint();
  const put = await request('PUT', withDigest(locationOf(baseUrl, patch), digest));
  expectStatus('PUT upload', put, 201);
  const putSec = since(t2);
  const seconds = since(t0);
  if (put.headers['docker-content-digest'] && put.headers['docker-content-digest'] !== digest) {
    throw new Error(`registry stored ${put.headers['docker-content-digest']}, expected ${digest}`);
  }
  return { seconds, postSec, patchSec, putSec };
}

/** Small blob: POST, then PUT ?digest= with the body (monolithic, two requests). */
export async function monolithicBlobUpload(baseUrl: string, repo: string, blob: Buffer): Promise<string> {
  const digest = sha256(blob);
  const post = await request('POST', `${baseUrl}/v2/${repo}/blobs/uploads/`);
  expectStatus('POST upload', post, 202);
  const put = await request('PUT', withDigest(locationOf(baseUrl, post), digest), {
    headers: { 'content-type': 'application/octet-stream' },
    body: blob,
  });
  expectStatus('PUT upload', put, 201);
  return digest;
}

export async function putManifest(baseUrl: string, repo: string, reference: string, manifest: Buffer, mediaType: string): Promise<void> {
  const r = await request('PUT', `${baseUrl}/v2/${repo}/manifests/${reference}`, {
    headers: { 'content-type': mediaType },
    body: manifest,
  });
  expectStatus(`PUT manifest ${repo}:${reference}`, r, 201);
}

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/**
 * A tiny OCI image (config + one small layer) tagged `count` times as t0000, t0001, ...
 * Returns the manifest digest. Tags are PUT `parallel` at a time.
 */
export async function createManyTags(baseUrl: string, repo: string, count: number, parallel = 8): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layer = Buffer.from(`bench tags layer ${repo} ${Date.now()}\n`);
  const configDigest = await monolithicBlobUpload(baseUrl, repo, config);
  const layerDigest = await monolithicBlobUpload(baseUrl, repo, layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  );
  const tags = Array.from({ length: count }, (_, i) => `t${String(i).padStart(4, '0')}`);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < tags.length) {
        const tag = tags[next++]!;
        await putManifest(baseUrl, repo, tag, manifest, OCI_MANIFEST);
      }
    }),
  );
  return sha256(manifest);
}

export async function getJson(url: string): Promise<{ status: number; json: unknown; headers: http.IncomingHttpHeaders }> {
  const r = await request('GET', url);
  return { status: r.status, headers: r.headers, json: r.body.length ? JSON.parse(r.body.toString('utf8')) : undefined };
}

export function closeAgent(): void {
  agent.destroy();
}

/** GET whose body is counted and dropped (a large blob is never held): status and bytes received. */
export function drainGet(url: string, headers: Record<string, string> = {}, timeoutMs = 600_000): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      res.on('data', (b: Buffer) => {
        bytes += b.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
  });
}

/**
 * POST, then the blob in PATCHes of `chunkBytes` with Content-Range and Content-Length (the
 * spec's chunked upload, as resumable clients send it), then PUT ?digest= with an empty body.
 */
export async function chunkedBlobUpload(baseUrl: string, repo: string, blob: Buffer, digest: string, chunkBytes: number): Promise<UploadTiming> {
  const t0 = process.hrtime.bigint();
  const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;
  const post = await request('POST', `${baseUrl}/v2/${repo}/blobs/uploads/`);
  expectStatus('POST upload', post, 202);
  const postSec = since(t0);
  const t1 = process.hrtime.bigint();
  let location = locationOf(baseUrl, post);
  for (let start = 0; start < blob.length; start += chunkBytes) {
    const end = Math.min(start + chunkBytes, blob.length);
    const patch = await request('PATCH', location, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${end - 1}` },
      body: blob.subarray(start, end),
      timeoutMs: 600_000,
    });
    expectStatus(`PATCH chunk ${start}-${end - 1}`, patch, 202);
    location = locationOf(baseUrl, patch);
  }
  const patchSec = since(t1);
  const t2 = process.hrtime.bigint();
  const put = await request('PUT', withDigest(location, digest));
  expectStatus('PUT upload', put, 201);
  return { seconds: since(t0), postSec, patchSec, putSec: since(t2) };
}

/**
 * POST + ONE streamed PATCH of `totalBytes` generated on the fly (a 1 MiB pattern with a counter
 * in every MiB, so no two MiB are alike; never held in memory) + PUT ?digest=. The digest is
 * computed while sending. Returns seconds from the POST to the PUT's 201.
 */
export async function generatedBlobUpload(baseUrl: string, repo: string, totalBytes: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  const post = await request('POST', `${baseUrl}/v2/${repo}/blobs/uploads/`);
  expectStatus('POST upload', post, 202);
  const hash = createHash('sha256');
  const block = randomBytes(1024 * 1024);
  block.writeUInt32BE(Date.now() >>> 0, 8);
  const patch = await new Promise<HttpResult>((resolve, reject) => {
    const u = new URL(locationOf(baseUrl, post));
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method: 'PATCH',
        path: u.pathname + u.search,
        agent,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(totalBytes) },
        timeout: 1_800_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('generated PATCH: timed out')));
    req.on('error', reject);
    let sent = 0;
    let counter = 0;
    const pump = () => {
      while (sent < totalBytes) {
        // A fresh buffer per write: the socket may still hold the previous one.
        const piece = Buffer.from(block.subarray(0, Math.min(block.length, totalBytes - sent)));
        if (piece.length >= 4) piece.writeUInt32BE(counter++, 0);
        hash.update(piece);
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
  expectStatus('PATCH upload', patch, 202);
  const digest = `sha256:${hash.digest('hex')}`;
  const put = await request('PUT', withDigest(locationOf(baseUrl, patch), digest));
  expectStatus('PUT upload', put, 201);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * `count` repositories `prefix/r00000`, ... each holding one small image: its config blob is
 * uploaded once and mounted into every other repository, then the image manifest is PUT as
 * `latest`. A blob is needed: distribution lists a repository in its catalog only when the
 * repository has a blob link (a `_layers` directory); a repository holding only an index, as
 * the bench first made them, is missing from distribution's catalog.
 */
export async function createManyRepositories(baseUrl: string, prefix: string, count: number, parallel = 32): Promise<void> {
  const name = (i: number) => `${prefix}/r${String(i).padStart(5, '0')}`;
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const digest = await monolithicBlobUpload(baseUrl, name(0), config);
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: config.length }, layers: [] }),
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const repo = name(next++);
        if (repo !== name(0)) expectStatus(`mount into ${repo}`, await request('POST', `${baseUrl}/v2/${repo}/blobs/uploads/?mount=${digest}&from=${name(0)}`), 201);
        await putManifest(baseUrl, repo, 'latest', manifest, OCI_MANIFEST);
      }
    }),
  );
}

/** Lists the whole catalog `pageSize` names at a time, following Link: rel="next". */
export async function walkCatalog(baseUrl: string, pageSize: number): Promise<{ repositories: number; requests: number }> {
  let url: string | undefined = `${baseUrl}/v2/_catalog?n=${pageSize}`;
  let repositories = 0;
  let requests = 0;
  while (url) {
    const r = await request('GET', url);
    requests++;
    expectStatus(`GET ${url}`, r, 200);
    repositories += ((JSON.parse(r.body.toString('utf8')) as { repositories?: unknown[] }).repositories ?? []).length;
    const link = /<([^>]+)>;\s*rel="?next"?/.exec(String(r.headers.link ?? ''));
    url = link ? new URL(link[1]!, baseUrl).toString() : undefined;
  }
  return { repositories, requests };
}
