// A minimal closed-loop HTTP/1.1 load generator on raw keep-alive sockets, used for the manifest HEAD
// rows only: wrk 4.1 (Debian) and autocannon 9 both keep waiting for a body after a HEAD response
// that carries Content-Length (as a registry's HEAD must), so neither completes a second request on
// a keep-alive connection. This one sends the request, waits for the end of the headers (plus
// Content-Length body bytes for GET), records the latency and sends the next request.
//
// It runs as separate processes (like wrk's threads), `processes` of them with `connections` split
// between them, so it neither shares the bench's event loop nor is limited to one core.
//
//   runRawLoad({ url, method, headers, connections, processes, durationSec }) -> WrkResult-like summary
//   node dist/bench/rawload.js '<json options>'   (child mode: prints one JSON line)
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { WrkResult } from './wrk.js';

export interface RawLoadOptions {
  url: string;
  method: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  connections: number;
  processes: number;
  durationSec: number;
}

interface ChildOptions {
  url: string;
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  connections: number;
  durationSec: number;
}

interface ChildResult {
  requests: number;
  durationSec: number;
  non2xx: number;
  socketErrors: number;
  /** Latency of every completed request, microseconds. */
  latenciesUs: number[];
}

const HEADER_END = Buffer.from('\r\n\r\n');

async function childMain(o: ChildOptions): Promise<ChildResult> {
  const u = new URL(o.url);
  const port = Number(u.port || 80);
  const lines = [`${o.method} ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, 'User-Agent: stowage-bench-rawload'];
  for (const [k, v] of Object.entries(o.headers)) lines.push(`${k}: ${v}`);
  const requestBytes = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
  const latencies: number[] = [];
  let requests = 0;
  let non2xx = 0;
  let socketErrors = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(o.durationSec * 1e9));
  let stopping = false;

  const connection = () =>
    new Promise<void>((resolve) => {
      let buf: Buffer = Buffer.alloc(0);
      let sentAt = 0n;
      let needBody = -1; // body bytes still expected after the headers, -1 = reading headers
      const sock = net.connect({ host: u.hostname, port, noDelay: true });
      const send = () => {
        if (stopping || process.hrtime.bigint() >= deadline) {
          stopping = true;
          sock.end();
          return;
        }
        sentAt = process.hrtime.bigint();
        sock.write(requestBytes);
      };
      const complete = (status: number) => {
        requests++;
        latencies.push(Number(process.hrtime.bigint() - sentAt) / 1000);
        if (status < 200 || status >= 400) non2xx++;
        send();
      };
      let status = 0;
      sock.on('connect', send);
      sock.on('data', (chunk: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        for (;;) {
          if (needBody < 0) {
            const end = buf.indexOf(HEADER_END);
            if (end < 0) return;
            const head = buf.subarray(0, end).toString('latin1');
            buf = buf.subarray(end + 4);
            status = Number(head.slice(9, 12));
            if (o.method === 'HEAD') {
              needBody = -1;
              complete(status);
              continue;
            }
            const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
            if (!m) {
              socketErrors++;
              sock.destroy(); // chunked or unknown framing: not supported here
              return;
            }
            needBody = Number(m[1]);
          }
          if (buf.length < needBody) return;
          buf = buf.subarray(needBody);
          needBody = -1;
          complete(status);
        }
      });
      sock.on('error', () => {
        socketErrors++;
      });
      sock.on('close', () => resolve());
    });

  const loops = Array.from({ length: o.connections }, async () => {
    while (!stopping && process.hrtime.bigint() < deadline) await connection();
  });
  await Promise.all(loops);
  const durationSec = Number(process.hrtime.bigint() - start) / 1e9;
  return { requests, durationSec, non2xx, socketErrors, latenciesUs: latencies };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export async function runRawLoad(o: RawLoadOptions): Promise<WrkResult> {
  const self = fileURLToPath(import.meta.url);
  const per = Math.floor(o.connections / o.processes);
  const children = Array.from({ length: o.processes }, (_, i) => {
    const opts: ChildOptions = {
      url: o.url,
      method: o.method,
      headers: o.headers ?? {},
      connections: per + (i < o.connections % o.processes ? 1 : 0),
      durationSec: o.durationSec,
    };
    return new Promise<ChildResult>((resolve, reject) => {
      const child = spawn(process.execPath, [self, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => child.kill('SIGKILL'), (o.durationSec + 30) * 1000);
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) {
          reject(new Error(`rawload child exited ${code}: ${Buffer.concat(err).toString().slice(-2000)}`));
          return;
        }
        try {
          resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as ChildResult);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
  });
  const results = await Promise.all(children);
  const all = new Float64Array(results.reduce((n, r) => n + r.latenciesUs.length, 0));
  let k = 0;
  for (const r of results) for (const v of r.latenciesUs) all[k++] = v;
  all.sort();
  const requests = results.reduce((n, r) => n + r.requests, 0);
  const durationSec = Math.max(...results.map((r) => r.durationSec));
  return {
    requests,
    durationSec,
    reqPerSec: results.reduce((s, r) => s + r.requests / r.durationSec, 0),
    p50Ms: percentile(all, 50) / 1000,
    p99Ms: percentile(all, 99) / 1000,
    maxMs: (all.length ? all[all.length - 1]! : NaN) / 1000,
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    socketErrors: results.reduce((n, r) => n + r.socketErrors, 0),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv[2]) {
  childMain(JSON.parse(process.argv[2]) as ChildOptions).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
