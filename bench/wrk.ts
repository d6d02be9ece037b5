// HTTP load with wrk (Debian package `wrk`, 4.1): a C load generator, epoll, one OS thread per
// `-t`. On a 2-core machine the load generator shares the CPU with the server under test, and wrk
// spends far less CPU per request than a Node load generator (autocannon), so more of the machine is
// left to the registry being measured. A Lua `done` hook prints the summary as JSON, with the exact
// latency percentiles from wrk's histogram.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../test/helpers/exec.js';

export interface WrkResult {
  requests: number;
  durationSec: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses that were not 2xx/3xx. */
  non2xx: number;
  /** connect + read + write + timeout errors. */
  socketErrors: number;
}

export interface WrkOptions {
  url: string;
  method: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  connections: number;
  threads: number;
  durationSec: number;
  /** Where the generated Lua script goes. */
  scriptDir: string;
}

function luaString(s: string): string {
  return JSON.stringify(s); // a JSON string of printable ASCII is a valid Lua string literal
}

let scriptCounter = 0;

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const lines = [`wrk.method = ${luaString(o.method)}`];
  for (const [k, v] of Object.entries(o.headers ?? {})) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n\',',
    '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency:percentile(50), latency:percentile(99), latency.max))',
    'end',
    '',
  );
  const script = join(o.scriptDir, `wrk-${process.pid}-${scriptCounter++}.lua`);
  await writeFile(script, lines.join('\n'));
  const { stdout } = await run('wrk', ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.durationSec}s`, '--timeout', '10s', '-s', script, o.url], {
    timeoutMs: (o.durationSec + 30) * 1000,
  });
  const m = /^WRKJSON (\{.*\})$/m.exec(stdout);
  if (!m) throw new Error(`wrk printed no summary:\n${stdout}`);
  const j = JSON.parse(m[1]!) as Record<string, number>;
  const durationSec = j.duration_us! / 1e6;
  return {
    requests: j.requests!,
    durationSec,
    reqPerSec: j.requests! / durationSec,
    p50Ms: j.p50_us! / 1000,
    p99Ms: j.p99_us! / 1000,
    maxMs: j.max_us! / 1000,
    non2xx: j.status!,
    socketErrors: j.connect! + j.read! + j.write! + j.timeout!,
  };
}
