// Shared plumbing for the e2e tests (not a test file itself).
//
// startRegistryUnderTest() starts the registry the e2e tests talk to: Stowage (startStowage) by
// default, or Debian's docker-registry when E2E_REGISTRY=distribution (useful to check a test
// itself). Clients never talk to it directly: a small recording reverse proxy sits in front, so
// tests can assert which wire path a client took (docker's chunked PATCH, containerd's monolithic
// PUT, skopeo's cross-repository mount) and so failures come with a log of every request.
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startStowage, type TestAuthOptions } from '../helpers/server.js';
import { startDistribution } from '../helpers/distribution.js';

export interface WireRecord {
  method: string;
  /** Request path with query string, as the client sent it. */
  url: string;
  status: number;
  contentLength?: string;
  transferEncoding?: string;
  contentRange?: string;
  contentType?: string;
  /** Request body bytes that went through the proxy. */
  bodyBytes: number;
  location?: string;
  /** Upstream error, if the proxy could not complete the exchange. */
  error?: string;
}

export interface RegistryUnderTest {
  kind: 'stowage' | 'distribution';
  /** What clients use: the proxy, http://127.0.0.1:PORT */
  url: string;
  /** host:port of the proxy, for image references (127.0.0.1/8 is plain HTTP to docker/containerd). */
  host: string;
  /** The registry itself, bypassing the proxy (for direct HTTP checks). */
  directUrl: string;
  /** Every request the proxy forwarded, in completion order. */
  records: WireRecord[];
  /** One line per request, plus the registry's own log when it has one. */
  logFiles: string[];
  close(): Promise<void>;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

async function startRecordingProxy(targetUrl: string, wireLog: string): Promise<{ url: string; host: string; records: WireRecord[]; close(): Promise<void> }> {
  const target = new URL(targetUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const records: WireRecord[] = [];
  let proxyUrl = '';
  const record = (r: WireRecord) => {
    records.push(r);
    try {
      appendFileSync(
        wireLog,
        `${r.method} ${r.url} -> ${r.status}${r.error ? ` ERROR ${r.error}` : ''} ` +
          `[req cl=${r.contentLength ?? '-'} te=${r.transferEncoding ?? '-'} cr=${r.contentRange ?? '-'} ` +
          `ct=${r.contentType ?? '-'} body=${r.bodyBytes}]${r.location ? ` loc=${r.location}` : ''}\n`,
      );
    } catch {
      /* logging is best effort */
    }
  };

  // Idle keep-alive connections stay open longer than any pause of a client between requests:
  // Node's 5 s default can close a socket just as a client reuses it, and containerd 1.6's
  // pusher panics ("send on closed channel") when it then retries a PUT.
  const server = http.createServer({ keepAliveTimeout: 120_000, headersTimeout: 125_000 }, (req, res) => {
    const rec: WireRecord = {
      method: req.method ?? '?',
      url: req.url ?? '?',
      status: 0,
      contentLength: header(req.headers['content-length']),
      transferEncoding: header(req.headers['transfer-encoding']),
      contentRange: header(req.headers['content-range']),
      contentType: header(req.headers['content-type']),
      bodyBytes: 0,
    };
    const headers = { ...req.headers };
    delete headers.expect; // node's server already answered 100-continue
    delete headers.connection;
    delete headers['keep-alive'];
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (up) => {
      rec.status = up.statusCode ?? 0;
      const outHeaders = { ...up.headers };
      delete outHeaders.connection;
      delete outHeaders['keep-alive'];
      // A registry that builds absolute Locations from its own address would send clients around the proxy.
      const loc = header(up.headers.location);
      if (loc) {
        rec.location = loc;
        if (loc.startsWith(targetUrl)) outHeaders.location = proxyUrl + loc.slice(targetUrl.length);
      }
      res.writeHead(rec.status, up.statusMessage, outHeaders);
      up.pipe(res);
      up.on('error', (err) => {
        rec.error = `upstream response: ${err.message}`;
        res.destroy(err);
      });
    });
    upstream.on('error', (err) => {
      rec.error = `upstream: ${err.message}`;
      if (!res.headersSent) {
        rec.status = 502;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy: ${err.message}`);
      } else {
        res.destroy(err);
      }
    });
    req.on('data', (b: Buffer) => {
      rec.bodyBytes += b.length;
    });
    req.on('aborted', () => upstream.destroy(new Error('client aborted')));
    res.on('close', () => record(rec));
    req.pipe(upstream);
  });
  // skopeo/podman try TLS first on a plain-HTTP port; just drop those connections.
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  proxyUrl = `http://127.0.0.1:${port}`;
  return {
    url: proxyUrl,
    host: `127.0.0.1:${port}`,
    records,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

/**
 * Starts the registry under test (Stowage unless E2E_REGISTRY=distribution) behind a recording
 * proxy; with `auth`, Stowage as `serve --auth local` (its token realm is its own address).
 */
export async function startRegistryUnderTest(workDir: string, options: { auth?: TestAuthOptions } = {}): Promise<RegistryUnderTest> {
  const kind = options.auth || process.env.E2E_REGISTRY !== 'distribution' ? 'stowage' : 'distribution';
  await mkdir(workDir, { recursive: true });
  let direct: { url: string; close(): Promise<void>; logFile?: string };
  if (kind === 'distribution') {
    const d = await startDistribution(join(workDir, 'distribution'));
    direct = { url: d.url, close: d.stop, logFile: d.logFile };
  } else {
    const s = await startStowage(options.auth ? { auth: options.auth } : {});
    direct = { url: s.url.replace(/\/+$/, ''), close: s.close };
  }
  const wireLog = join(workDir, 'wire.log');
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  try {
    proxy = await startRecordingProxy(direct.url, wireLog);
  } catch (err) {
    await direct.close();
    throw err;
  }
  const p = proxy;
  return {
    kind,
    url: p.url,
    host: p.host,
    directUrl: direct.url,
    records: p.records,
    logFiles: direct.logFile ? [wireLog, direct.logFile] : [wireLog],
    async close() {
      try {
        await p.close();
      } finally {
        await direct.close();
      }
    },
  };
}

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const ALL_MANIFEST_TYPES = Object.values(MEDIA).join(', ');

export interface FetchedManifest {
  status: number;
  contentType: string | null;
  /** Docker-Content-Digest response header */
  digestHeader: string | null;
  body: Buffer;
}

/** GET /v2/<repo>/manifests/<ref> accepting every manifest type. */
export async function getManifest(baseUrl: string, repo: string, ref: string): Promise<FetchedManifest> {
  const res = await fetch(`${baseUrl}/v2/${repo}/manifests/${ref}`, {
    headers: { accept: ALL_MANIFEST_TYPES },
    signal: AbortSignal.timeout(30_000),
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    digestHeader: res.headers.get('docker-content-digest'),
    body: Buffer.from(await res.arrayBuffer()),
  };
}

/** GET /v2/<repo>/tags/list; returns the tags (or throws with the response). */
export async function listTags(baseUrl: string, repo: string): Promise<string[]> {
  const res = await fetch(`${baseUrl}/v2/${repo}/tags/list`, { signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /v2/${repo}/tags/list -> ${res.status}: ${text}`);
  return (JSON.parse(text) as { tags?: string[] | null }).tags ?? [];
}

/** Requests the proxy saw for one repository's blob uploads (POST/PATCH/PUT under /blobs/uploads/). */
export function uploadRequests(records: readonly WireRecord[], repo: string): WireRecord[] {
  const prefix = `/v2/${repo}/blobs/uploads/`;
  return records.filter((r) => r.url.startsWith(prefix));
}

/** A compact dump of wire records for assertion messages. */
export function describeRecords(records: readonly WireRecord[]): string {
  return records
    .map((r) => `${r.method} ${r.url} -> ${r.status} (cl=${r.contentLength ?? '-'} te=${r.transferEncoding ?? '-'} ` + `cr=${r.contentRange ?? '-'} body=${r.bodyBytes})`)
    .join('\n');
}

/** 2 MiB + a few bytes: not a power of two, so chunk-boundary bugs show up. */
export const LAYER_SIZE = 2 * 1024 * 1024 + 4099;

/** Removes a test's work dir, unless E2E_KEEP is set (then says where it is, for looking at logs). */
export async function removeWorkDir(dir: string): Promise<void> {
  if (!dir) return;
  if (process.env.E2E_KEEP) {
    process.stderr.write(`E2E_KEEP set: leaving ${dir}\n`);
    return;
  }
  await rm(dir, { recursive: true, force: true });
}
