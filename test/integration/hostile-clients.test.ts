/**
 * Every client gets an answer it can read, and a connection that can go on where HTTP allows it
 * (issue 12, items 1 and 2): errors answered before the body was read drain it (or close
 * lingering, so the client reads the answer rather than a broken pipe); an internal error after
 * the body was read is still answered; oversized headers get 431, a TLS handshake on the plain
 * port a 400, slow headers and stalled bodies a 408; per-address caps answer 429. Raw HTTP over
 * node:net, as in error-framing.test.ts, since fetch would hide a dropped or reused connection.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/shells/http/server.js';
import { createPorts, EMBEDDED_DEFAULTS, type ClosablePorts } from '../../src/adapters/create-ports.js';
import type { ClientLimits } from '../../src/shells/http/client-limits.js';
import { RawConnection } from '../helpers/raw-http.js';

const repo = 'hostile/test';

interface Served {
  server: RunningServer;
  dir: string;
  close(): Promise<void>;
}

/** The embedded registry in this process with these limits, its ports optionally altered (a failing store). */
async function serve(limits: Partial<ClientLimits> = {}, alter?: (ports: ClosablePorts) => ClosablePorts): Promise<Served> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-hostile-'));
  const ports = await createPorts({ ...EMBEDDED_DEFAULTS, dataDir: dir });
  const server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, metrics: false, limits }, alter ? alter(ports) : ports);
  return {
    server,
    dir,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function expectPing(conn: RawConnection, after: string): Promise<void> {
  const ping = await conn.send('GET', '/v2/');
  assert.equal(ping.status, 200, `the request after ${after} is answered on the same connection`);
  assert.equal(ping.body.toString(), '{}');
}

async function startUpload(conn: RawConnection): Promise<string> {
  const started = await conn.send('POST', `/v2/${repo}/blobs/uploads/`);
  assert.equal(started.status, 202);
  assert.ok(started.headers.location);
  return started.headers.location;
}

const errorCode = (body: Buffer) => JSON.parse(body.toString()).errors[0].code as string;

describe('answers before, after and instead of the body', { timeout: 60_000 }, () => {
  let s: Served;
  let failWrites = false;
  before(async () => {
    s = await serve({}, (ports) => ({
      ...ports,
      blobs: Object.assign(Object.create(Object.getPrototypeOf(ports.blobs)), ports.blobs, {
        // Reads the whole body, then fails: the error comes after the request is complete.
        async writeUpload(id: string, state: unknown, offset: number, body: AsyncIterable<Uint8Array>) {
          if (!failWrites) return ports.blobs.writeUpload(id, state, offset, body);
          for await (const _ of body);
          throw new Error('simulated store failure after the body was read');
        },
      }),
    }));
  });
  after(() => s.close());

  test('a chunk out of order sent with its body: 416 after the body is drained, and the connection goes on', async () => {
    const conn = await RawConnection.open(s.server.url);
    try {
      const location = await startUpload(conn);
      const refused = await conn.send('PATCH', location, { 'content-range': '5-1028', 'content-type': 'application/octet-stream' }, Buffer.alloc(1024, 7));
      assert.equal(refused.status, 416);
      assert.equal(refused.headers['content-length'], String(refused.body.byteLength));
      assert.equal(refused.headers.connection, 'keep-alive');
      await expectPing(conn, 'a 416 with a body');
      assert.equal(await conn.leftover(), '');
    } finally {
      conn.close();
    }
  });

  test('a manifest over the limit sent whole: 413 after draining it, and the connection goes on', async () => {
    const conn = await RawConnection.open(s.server.url);
    try {
      const big = Buffer.alloc(5 << 20, 0x20);
      const refused = await conn.send('PUT', `/v2/${repo}/manifests/big`, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, big);
      assert.equal(refused.status, 413);
      assert.equal(errorCode(refused.body), 'SIZE_INVALID');
      await expectPing(conn, 'a 413');
    } finally {
      conn.close();
    }
  });

  test('a body too large to drain: the answer is still read, then the connection closes', async () => {
    const conn = await RawConnection.open(s.server.url);
    try {
      const huge = Buffer.alloc(24 << 20, 0x20);
      const refused = await conn.send('PUT', `/v2/${repo}/manifests/huge`, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, huge);
      assert.equal(refused.status, 413);
      assert.equal(refused.headers.connection, 'close');
      assert.equal(errorCode(refused.body), 'SIZE_INVALID');
      await conn.closedByServer();
    } finally {
      conn.close();
    }
    const next = await RawConnection.open(s.server.url);
    await expectPing(next, 'a closed connection, on a new one');
    next.close();
  });

  test('an internal error after the body was read: 500 with its JSON body, and the connection goes on', async () => {
    const conn = await RawConnection.open(s.server.url);
    try {
      const location = await startUpload(conn);
      failWrites = true;
      const failed = await conn.send('PATCH', location, { 'content-type': 'application/octet-stream' }, Buffer.alloc(64 << 10, 1));
      failWrites = false;
      assert.equal(failed.status, 500);
      assert.equal(errorCode(failed.body), 'UNKNOWN');
      await expectPing(conn, 'a 500');
    } finally {
      failWrites = false;
      conn.close();
    }
  });

  test('headers over 16 KiB: 431 with an error body, then a new connection works', async () => {
    const conn = await RawConnection.open(s.server.url);
    try {
      conn.startRequest('GET', '/v2/', { 'x-padding': 'a'.repeat(20_000) });
      const refused = await conn.response();
      assert.equal(refused.status, 431);
      assert.equal(errorCode(refused.body), 'UNSUPPORTED');
      await conn.closedByServer();
    } finally {
      conn.close();
    }
    const next = await RawConnection.open(s.server.url);
    await expectPing(next, 'a 431, on a new connection');
    next.close();
  });

  test('a TLS ClientHello on the plain port: an HTTP/1.0 400, as Go answers, then an orderly close', async () => {
    const conn = await RawConnection.open(s.server.url);
    try {
      // The start of a real ClientHello record: handshake (0x16), TLS 1.0 record version, length, client_hello (0x01).
      conn.write(Buffer.from('160301020001000200fc0303', 'hex'));
      const answer = await conn.response();
      assert.equal(answer.status, 400);
      assert.match(answer.body.toString(), /HTTPS request to an HTTP server/);
      await conn.closedByServer();
      assert.equal(conn.errored, undefined, 'an orderly close, not a reset');
    } finally {
      conn.close();
    }
  });
});

describe('limits against slow and greedy clients', { timeout: 60_000 }, () => {
  test('headers that never finish: 408 after the header timeout', async () => {
    const s = await serve({ headersTimeoutMs: 1000 });
    const conn = await RawConnection.open(s.server.url);
    try {
      conn.write('GET /v2/ HTTP/1.1\r\nhost: x\r\n');
      const answer = await conn.response();
      assert.equal(answer.status, 408);
      await conn.closedByServer();
    } finally {
      conn.close();
      await s.close();
    }
  });

  test('a body that stalls: 408 after the idle timeout, and the upload resumes from where it stood', async () => {
    const s = await serve({ bodyIdleTimeoutMs: 800 });
    const conn = await RawConnection.open(s.server.url);
    try {
      const location = await startUpload(conn);
      conn.startRequest('PATCH', location, { 'content-type': 'application/octet-stream', 'content-length': '1000' });
      conn.write(Buffer.alloc(100, 1));
      const stalled = await conn.response();
      assert.equal(stalled.status, 408);
      assert.equal(errorCode(stalled.body), 'SIZE_INVALID');
      await conn.closedByServer();

      const again = await RawConnection.open(s.server.url);
      const blob = Buffer.alloc(1000, 1);
      const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
      const patched = await again.send('PATCH', location, { 'content-type': 'application/octet-stream' }, blob);
      assert.equal(patched.status, 202, 'the stalled request left the upload usable');
      const put = await again.send('PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`);
      assert.equal(put.status, 201);
      again.close();
    } finally {
      conn.close();
      await s.close();
    }
  });

  test('connections over the per-address cap: 429 with Retry-After; another address is served', async () => {
    const s = await serve({ connectionsPerAddress: 2 });
    const held = [await RawConnection.open(s.server.url), await RawConnection.open(s.server.url)];
    try {
      const third = await RawConnection.open(s.server.url);
      third.write('GET /v2/ HTTP/1.1\r\nhost: x\r\n\r\n');
      const refused = await third.response();
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers['retry-after']) > 0);
      assert.equal(errorCode(refused.body), 'TOOMANYREQUESTS');
      await third.closedByServer();
      third.close();
      const other = await RawConnection.open(s.server.url, '127.0.0.2');
      await expectPing(other, 'a refused connection, from another address');
      other.close();
      for (const c of held) await expectPing(c, 'the cap was reached');
    } finally {
      for (const c of held) c.close();
      await s.close();
    }
  });

  test('bodies over the per-address cap: 429 while one is in flight, served once it ends', async () => {
    const s = await serve({ uploadsPerAddress: 1 });
    const first = await RawConnection.open(s.server.url);
    const second = await RawConnection.open(s.server.url);
    try {
      const a = await startUpload(first);
      const b = await startUpload(second);
      first.startRequest('PATCH', a, { 'content-type': 'application/octet-stream', 'content-length': '20' });
      first.write(Buffer.alloc(10, 1));
      // Let the first body reach the core before the second asks.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const refused = await second.send('PATCH', b, { 'content-type': 'application/octet-stream' }, Buffer.alloc(20, 2));
      assert.equal(refused.status, 429);
      assert.equal(refused.headers['retry-after'], '1');
      await expectPing(second, 'a 429 for a body (drained)');
      first.write(Buffer.alloc(10, 1));
      assert.equal((await first.response()).status, 202);
      const served = await second.send('PATCH', b, { 'content-type': 'application/octet-stream' }, Buffer.alloc(20, 2));
      assert.equal(served.status, 202);
    } finally {
      first.close();
      second.close();
      await s.close();
    }
  });
});
