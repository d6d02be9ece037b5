// The null registry of the `ceiling` rows (bench/ceiling.ts): a tiny node:http server that speaks
// just enough of the OCI distribution API for skopeo and docker to push and pull, and does nothing
// else, so that a client flow against it runs as fast as that client can on this machine.
//   push: uploads are accepted and their bytes discarded (no hashing, no disk); the blob is then
//         known by the digest the client named in PUT ?digest= and the byte count received (the
//         clients HEAD a blob after committing it); manifests (a few hundred bytes) are kept.
//   pull: manifests and blobs are served from memory buffers that the bench copied in beforehand
//         from a real registry (PUT /_null/blobs/<digest>, PUT /_null/manifests/<repo>/<ref>):
//         real bytes, which skopeo and docker verify against their digests.
// No auth, no validation, no persistence. Started as its own process (node dist/bench/null-registry.js),
// so its CPU seconds are its own; it prints "listening on http://127.0.0.1:PORT".
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';

interface Manifest {
  body: Buffer;
  type: string;
  digest: string;
}

/** Blob bytes served on pull (preloaded), by digest. */
const blobs = new Map<string, Buffer>();
/** Sizes of pushed blobs, whose bytes were discarded, by digest. */
const pushedSizes = new Map<string, number>();
/** Manifests by `repo:ref` (ref a tag or a digest). */
const manifests = new Map<string, Manifest>();
/** Bytes received so far per upload session. */
const uploads = new Map<string, number>();

const API = { 'docker-distribution-api-version': 'registry/2.0' };

function send(res: http.ServerResponse, status: number, headers: Record<string, string | number> = {}, body?: Buffer): void {
  res.writeHead(status, { ...API, 'content-length': body?.length ?? 0, ...headers });
  res.end(body);
}

/** Reads and drops a request body; resolves with its length. */
function discard(req: http.IncomingMessage): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    req.on('data', (b: Buffer) => {
      n += b.length;
    });
    req.on('end', () => resolve(n));
    req.on('error', reject);
  });
}

function collect(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://null');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  let m: RegExpExecArray | null;

  // The bench's own endpoints: preload pull content, forget everything.
  m = /^\/_null\/blobs\/(sha256:[0-9a-f]{64})$/.exec(path);
  if (m && method === 'PUT') {
    blobs.set(m[1]!, await collect(req));
    return send(res, 201);
  }
  m = /^\/_null\/manifests\/(.+)\/([^/]+)$/.exec(path);
  if (m && method === 'PUT') {
    const body = await collect(req);
    const manifest = { body, type: req.headers['content-type'] ?? 'application/vnd.oci.image.manifest.v1+json', digest: sha256(body) };
    manifests.set(`${m[1]}:${m[2]}`, manifest);
    manifests.set(`${m[1]}:${manifest.digest}`, manifest);
    return send(res, 201, { 'docker-content-digest': manifest.digest });
  }
  if (path === '/_null/reset' && method === 'POST') {
    blobs.clear();
    pushedSizes.clear();
    manifests.clear();
    uploads.clear();
    return send(res, 204);
  }

  if (path === '/v2/' || path === '/v2') return send(res, 200, { 'content-type': 'application/json' }, Buffer.from('{}'));

  // Upload: POST starts (a mount request is answered as a plain new upload), PATCH appends, PUT commits.
  m = /^\/v2\/(.+)\/blobs\/uploads\/?$/.exec(path);
  if (m && method === 'POST') {
    const id = randomUUID();
    const received = await discard(req);
    const digest = url.searchParams.get('digest');
    if (digest) {
      pushedSizes.set(digest, received);
      return send(res, 201, { location: `/v2/${m[1]}/blobs/${digest}`, 'docker-content-digest': digest });
    }
    uploads.set(id, 0);
    return send(res, 202, { location: `/v2/${m[1]}/blobs/uploads/${id}`, 'docker-upload-uuid': id, range: '0-0' });
  }
  m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/.exec(path);
  if (m) {
    const [, repo, id] = m as unknown as [string, string, string];
    const sofar = uploads.get(id);
    if (sofar === undefined) return send(res, 404);
    if (method === 'GET') return send(res, 204, { location: `/v2/${repo}/blobs/uploads/${id}`, 'docker-upload-uuid': id, range: `0-${Math.max(0, sofar - 1)}` });
    const total = sofar + (await discard(req));
    if (method === 'PATCH') {
      uploads.set(id, total);
      return send(res, 202, { location: `/v2/${repo}/blobs/uploads/${id}`, 'docker-upload-uuid': id, range: `0-${Math.max(0, total - 1)}` });
    }
    if (method === 'PUT') {
      const digest = url.searchParams.get('digest');
      if (!digest) return send(res, 400);
      uploads.delete(id);
      pushedSizes.set(digest, total);
      return send(res, 201, { location: `/v2/${repo}/blobs/${digest}`, 'docker-content-digest': digest });
    }
    if (method === 'DELETE') uploads.delete(id);
    return send(res, method === 'DELETE' ? 204 : 405);
  }

  m = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(path);
  if (m && (method === 'GET' || method === 'HEAD')) {
    const digest = m[2]!;
    const held = blobs.get(digest);
    const size = held?.length ?? pushedSizes.get(digest);
    if (size === undefined) return send(res, 404);
    const headers = { 'content-type': 'application/octet-stream', 'docker-content-digest': digest };
    if (method === 'HEAD') {
      res.writeHead(200, { ...API, ...headers, 'content-length': size });
      res.end();
      return;
    }
    // A blob pushed here has no bytes to serve: the bench preloads what it pulls.
    if (!held) return send(res, 404);
    return send(res, 200, headers, held);
  }

  m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
  if (m) {
    const key = `${m[1]}:${m[2]}`;
    if (method === 'PUT') {
      const body = await collect(req);
      const manifest = { body, type: req.headers['content-type'] ?? 'application/vnd.oci.image.manifest.v1+json', digest: sha256(body) };
      manifests.set(key, manifest);
      manifests.set(`${m[1]}:${manifest.digest}`, manifest);
      return send(res, 201, { location: `/v2/${m[1]}/manifests/${manifest.digest}`, 'docker-content-digest': manifest.digest });
    }
    if (method === 'GET' || method === 'HEAD') {
      const manifest = manifests.get(key);
      if (!manifest) return send(res, 404);
      const headers = { 'content-type': manifest.type, 'docker-content-digest': manifest.digest };
      if (method === 'HEAD') {
        res.writeHead(200, { ...API, ...headers, 'content-length': manifest.body.length });
        res.end();
        return;
      }
      return send(res, 200, headers, manifest.body);
    }
    await discard(req);
    return send(res, 405);
  }
  await discard(req);
  send(res, 404);
}

export function createNullRegistry(): http.Server {
  return http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      process.stderr.write(`null registry: ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}\n`);
      if (!res.headersSent) send(res, 500);
      else res.destroy();
    });
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const server = createNullRegistry();
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
