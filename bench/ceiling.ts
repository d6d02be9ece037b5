// The `ceiling` group (BENCH_ONLY=...,ceiling): the skopeo and docker rows run against a third
// server, the null registry (bench/null-registry.ts), which discards pushed bytes and serves pulled
// ones from memory. Same images, same client commands and flags, same repetitions, interleaved with
// the two registries. Its MiB/s is an upper bound for any registry on this machine with this client,
// so null / distribution ("ceiling ratio") is the best ratio any registry could show on that row:
// a target above it is beyond this machine. Every repetition also records the CPU seconds of the
// client (skopeo, or dockerd + its containerd + the docker CLI) and of the server, to show where the
// time goes (docs/bench/client-limits.md).
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { startDaemon } from '../test/helpers/exec.js';
import { MANIFEST_ACCEPT, request } from './http.js';
import { GOALS } from './goals.js';
import { median, type Cell, type Row } from './report.js';
import { repoRoot, waitForLoggedUrl, type Target } from './targets.js';

const MiB = 1024 * 1024;
const TICKS = 100;

export async function startNullRegistryProcess(baseDir: string): Promise<Target> {
  const logFile = join(baseDir, 'null-registry.log');
  await mkdir(baseDir, { recursive: true });
  const daemon = await startDaemon(process.execPath, [join(repoRoot(), 'dist', 'bench', 'null-registry.js')], { logFile });
  const url = await waitForLoggedUrl('null registry', daemon, logFile, false);
  return { name: 'null', url, host: new URL(url).host, pid: daemon.pid, logFile, stop: () => daemon.stop(5_000) };
}

/** Forgets every blob and manifest the null registry holds. */
export async function resetNullRegistry(t: Target): Promise<void> {
  const r = await request('POST', `${t.url}/_null/reset`);
  if (r.status !== 204) throw new Error(`null registry reset: HTTP ${r.status}`);
}

/**
 * Copies an image (manifest by tag, config, layers) from a registry that holds it into the null
 * registry's memory, so the pull rows fetch exactly the bytes that registry would serve.
 */
export async function preloadImage(from: Target, to: Target, repo: string, tag: string): Promise<void> {
  const man = await request('GET', `${from.url}/v2/${repo}/manifests/${tag}`, { headers: { accept: MANIFEST_ACCEPT } });
  if (man.status !== 200) throw new Error(`preload: GET manifest ${repo}:${tag} on ${from.name}: HTTP ${man.status}`);
  const m = JSON.parse(man.body.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  for (const d of [m.config.digest, ...m.layers.map((l) => l.digest)]) {
    const blob = await request('GET', `${from.url}/v2/${repo}/blobs/${d}`);
    if (blob.status !== 200) throw new Error(`preload: GET blob ${d} on ${from.name}: HTTP ${blob.status}`);
    const put = await request('PUT', `${to.url}/_null/blobs/${d}`, { body: blob.body });
    if (put.status !== 201) throw new Error(`preload: PUT blob into the null registry: HTTP ${put.status}`);
  }
  const put = await request('PUT', `${to.url}/_null/manifests/${repo}/${tag}`, { body: man.body, headers: { 'content-type': String(man.headers['content-type']) } });
  if (put.status !== 201) throw new Error(`preload: PUT manifest into the null registry: HTTP ${put.status}`);
}

// ---- CPU seconds ------------------------------------------------------------------------------

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime (the last two: its exited, reaped children), seconds. */
  cpu: number;
  /** The system (kernel) part of `cpu`: stime + cstime. */
  sys: number;
}

async function procStat(pid: number | 'self'): Promise<ProcStat | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 4 (ppid) and 14-17 (utime, stime, cutime, cstime), counted from 1 before the split.
    const n = (i: number) => Number(rest[i - 3]);
    return { pid: Number(stat.slice(0, stat.indexOf(' '))), ppid: n(4), cpu: (n(14) + n(15) + n(16) + n(17)) / TICKS, sys: (n(15) + n(17)) / TICKS };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (all, and the kernel's part) of these processes and all their descendants, alive or
 * exited and reaped (a descendant's exited children are in its cutime/cstime, so nothing is counted twice).
 */
export async function treeCpuSeconds(roots: readonly number[]): Promise<{ cpu: number; sys: number }> {
  const all: ProcStat[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = await procStat(Number(name));
    if (s) all.push(s);
  }
  const children = new Map<number, number[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const byPid = new Map(all.map((s) => [s.pid, s]));
  const seen = new Set<number>();
  const stack = [...roots];
  const total = { cpu: 0, sys: 0 };
  while (stack.length) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    total.cpu += byPid.get(pid)?.cpu ?? 0;
    total.sys += byPid.get(pid)?.sys ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** CPU seconds of this process's exited, reaped children (skopeo, the docker CLI, sync). */
async function reapedChildrenSeconds(): Promise<{ cpu: number; sys: number }> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpu: (Number(rest[16 - 3]) + Number(rest[17 - 3])) / TICKS, sys: Number(rest[17 - 3]) / TICKS };
}

/** Where a client flow's CPU goes: the client's processes and the server's. */
export interface CpuSplit {
  seconds: number;
  clientCpuS: number;
  serverCpuS: number;
  /** The kernel's part of clientCpuS and serverCpuS (system time: disk, sockets, page cache). */
  clientSysS: number;
  serverSysS: number;
  /** 1-minute load average when the measurement started. */
  load1: number;
}

/**
 * Times `fn` and counts the CPU seconds it cost the client (the bench's children that exited during
 * it, e.g. skopeo, plus the trees of `clientDaemons`, e.g. dockerd and containerd, plus with
 * `inProcessClient` this process, whose node:http client the blob rows use) and the server.
 */
export async function withCpu(server: Target, clientDaemons: () => Promise<number[]>, fn: () => Promise<unknown>, options: { inProcessClient?: boolean } = {}): Promise<CpuSplit> {
  const daemons = await clientDaemons();
  const load1 = Number(loadavg()[0]!.toFixed(2));
  const [c0, d0, s0] = [await reapedChildrenSeconds(), await treeCpuSeconds(daemons), await treeCpuSeconds([server.pid])];
  const self0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // The bench's own HTTP client (the blob rows) runs in this process.
  const self = options.inProcessClient ? process.cpuUsage(self0) : { user: 0, system: 0 };
  const [c1, d1, s1] = [await reapedChildrenSeconds(), await treeCpuSeconds(daemons), await treeCpuSeconds([server.pid])];
  return {
    seconds,
    clientCpuS: c1.cpu - c0.cpu + (d1.cpu - d0.cpu) + (self.user + self.system) / 1e6,
    serverCpuS: s1.cpu - s0.cpu,
    clientSysS: c1.sys - c0.sys + (d1.sys - d0.sys) + self.system / 1e6,
    serverSysS: s1.sys - s0.sys,
    load1,
  };
}

/** The pids of a private dockerd (test/helpers/dockerd.ts) and of the containerd it runs. */
export async function dockerdPids(base: string): Promise<number[]> {
  const pids: number[] = [];
  for (const f of [join(base, 'docker.pid'), join(base, 'exec', 'containerd', 'containerd.pid')]) {
    const n = Number.parseInt((await readFile(f, 'utf8').catch(() => '')).trim(), 10);
    if (Number.isInteger(n) && n > 0) pids.push(n);
  }
  return pids;
}

// ---- reporting --------------------------------------------------------------------------------

/** The CPU split of a cell's repetitions: medians of CPU seconds per GiB moved. */
function cpuPerGiB(c: Cell | undefined): { client: number; server: number } | undefined {
  const samples = cpuSamples(c?.detail);
  if (!samples.length) return undefined;
  const gib = (s: FlowSample) => s.bytes / (1024 * MiB);
  return { client: median(samples.map((s) => s.clientCpuS / gib(s))), server: median(samples.map((s) => s.serverCpuS / gib(s))) };
}

/** One measured client flow: what it moved and its CPU split (a cell's detail, or one of its `extra`). */
export type FlowSample = CpuSplit & { bytes: number };

/** The flow samples in a cell's detail: itself, its repetitions (`extra`), its bench rounds (`rounds`). */
function cpuSamples(detail: unknown): FlowSample[] {
  if (detail === null || typeof detail !== 'object') return [];
  const d = detail as { extra?: unknown[]; rounds?: unknown[]; bytes?: unknown; clientCpuS?: unknown };
  if (typeof d.bytes === 'number' && typeof d.clientCpuS === 'number') return [d as FlowSample];
  return [...(d.extra ?? []), ...(d.rounds ?? [])].flatMap(cpuSamples);
}

export interface CeilingEntry {
  id: string;
  row: string;
  stowage: number | null;
  distribution: number | null;
  /** The null registry's MiB/s on the same row. */
  ceiling: number | null;
  /** Stowage / distribution, as the row's ratio. */
  ratio: number | null;
  /** null registry / distribution: the best ratio any registry could show here. */
  ceilingRatio: number | null;
  target: number | null;
  /** Whether the row's target is at or below its ceiling ratio (null when unknown). */
  targetReachable: boolean | null;
  /**
   * (client + server) CPU seconds per GiB against distribution / the same against the null
   * registry: the ceiling when the flow is CPU-bound (8 clients on 2 cores, or a machine busy with
   * other work, where wall time follows CPU seconds); less disturbed by other load than MiB/s.
   */
  cpuCeilingRatio: number | null;
  /**
   * (client + server) / client CPU seconds against distribution: the ratio of a server that costs
   * no CPU at all against distribution, when the run is CPU-bound. No registry can beat it there.
   */
  zeroServerRatio: number | null;
  /** Median CPU seconds per GiB moved, client's and server's, per server. */
  cpuPerGiB: Record<'stowage' | 'distribution' | 'null', { client: number; server: number } | null>;
}

export function ceilingEntries(rows: readonly Row[]): CeilingEntry[] {
  return rows
    .filter((r) => r.ceiling !== undefined)
    .map((r) => {
      const s = r.stowage.value ?? null;
      const d = r.distribution?.value ?? null;
      const c = r.ceiling?.value ?? null;
      const goal = GOALS[r.id];
      const target = goal && 'minRatio' in goal ? goal.minRatio : null;
      const ceilingRatio = c !== null && d !== null && d > 0 ? c / d : null;
      const cpuDist = cpuPerGiB(r.distribution);
      const cpuNull = cpuPerGiB(r.ceiling);
      const total = (x: { client: number; server: number }) => x.client + x.server;
      const cpuCeilingRatio = cpuDist && cpuNull && total(cpuNull) > 0 ? total(cpuDist) / total(cpuNull) : null;
      return {
        id: r.id,
        row: r.label,
        stowage: s,
        distribution: d,
        ceiling: c,
        ratio: s !== null && d !== null && d > 0 ? s / d : null,
        ceilingRatio,
        target,
        targetReachable: target === null || ceilingRatio === null ? null : ceilingRatio >= target,
        cpuCeilingRatio,
        zeroServerRatio: cpuDist && cpuDist.client > 0 ? total(cpuDist) / cpuDist.client : null,
        cpuPerGiB: { stowage: cpuPerGiB(r.stowage) ?? null, distribution: cpuPerGiB(r.distribution) ?? null, null: cpuPerGiB(r.ceiling) ?? null },
      };
    });
}

const f = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? 'n/a' : v >= 100 ? v.toFixed(0) : v.toFixed(digits));
const split = (x: { client: number; server: number } | null) => (x ? `${f(x.client)} / ${f(x.server)}` : 'n/a');

/** Markdown lines for .bench/report.md (empty without ceiling rows). */
export function ceilingMarkdown(entries: readonly CeilingEntry[]): string[] {
  if (!entries.length) return [];
  return [
    '## Ceilings (null registry)',
    '',
    "The same client flow against bench/null-registry.ts, which discards pushed bytes and serves pulled ones from memory: no registry can be faster with this client on this machine. Ceiling ratio = null registry / distribution, the best ratio any registry could show. CPU columns: median CPU seconds per GiB moved, client / server (client: skopeo, or dockerd + containerd + docker CLI, or for the blob rows the bench's own node:http client); CPU ceiling = (client + server) CPU per GiB against distribution / against the null registry, the ceiling ratio of a CPU-bound run; zero-server = (client + server) / client CPU against distribution, what a server costing no CPU would show in a CPU-bound run.",
    '',
    '| Row | Stowage MiB/s | distribution MiB/s | null registry MiB/s | Ratio | Ceiling ratio | CPU ceiling | Zero-server | Target | Reachable | CPU-s/GiB Stowage | distribution | null |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|',
    ...entries.map(
      (e) =>
        `| ${e.row} | ${f(e.stowage)} | ${f(e.distribution)} | ${f(e.ceiling)} | ${e.ratio === null ? 'n/a' : `${f(e.ratio)}x`} | ${e.ceilingRatio === null ? 'n/a' : `${f(e.ceilingRatio)}x`} | ${e.cpuCeilingRatio === null ? 'n/a' : `${f(e.cpuCeilingRatio)}x`} | ${e.zeroServerRatio === null ? 'n/a' : `${f(e.zeroServerRatio)}x`} | ${e.target === null ? '' : `>= ${e.target}x`} | ${e.targetReachable === null ? '' : e.targetReachable ? 'yes' : 'NO'} | ${split(e.cpuPerGiB.stowage)} | ${split(e.cpuPerGiB.distribution)} | ${split(e.cpuPerGiB.null)} |`,
    ),
    '',
  ];
}

/** Plain-text table for the bench's stdout. */
export function formatCeilings(entries: readonly CeilingEntry[]): string[] {
  if (!entries.length) return [];
  const header = [
    'row',
    'Stowage',
    'distribution',
    'null',
    'ratio',
    'ceiling',
    'cpu ceiling',
    'zero-server',
    'target',
    'client/server CPU-s per GiB: stowage | distribution | null',
  ];
  const body = entries.map((e) => [
    e.id,
    f(e.stowage),
    f(e.distribution),
    f(e.ceiling),
    e.ratio === null ? 'n/a' : f(e.ratio),
    e.ceilingRatio === null ? 'n/a' : f(e.ceilingRatio),
    e.cpuCeilingRatio === null ? 'n/a' : f(e.cpuCeilingRatio),
    e.zeroServerRatio === null ? 'n/a' : f(e.zeroServerRatio),
    e.target === null ? '' : `>= ${e.target}${e.targetReachable === false ? ' (beyond)' : ''}`,
    `${split(e.cpuPerGiB.stowage)} | ${split(e.cpuPerGiB.distribution)} | ${split(e.cpuPerGiB.null)}`,
  ]);
  const widths = header.map((h, col) => Math.max(h.length, ...body.map((b) => b[col]!.length)));
  const line = (cells: string[]) => cells.map((c, col) => (col === 0 || col === cells.length - 1 ? c.padEnd(widths[col]!) : c.padStart(widths[col]!))).join('  ');
  return ['Ceilings: the same flows against the null registry (bench/null-registry.ts); ceiling = null / distribution', line(header), ...body.map(line)];
}
