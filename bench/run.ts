// `npm run bench`: Stowage (embedded default, temp data dir) against distribution 2.8 (Debian's
// docker-registry, equivalent config) when it is installed, measured in the same run with the same
// clients. Prints the environment and a table; writes .bench/results.json.
//
// Options (argv or environment):
//   --quick            (BENCH_QUICK=1)      small sizes and short runs, to check the bench itself
//   --no-docker        (BENCH_DOCKER=0)     skip the docker rows
//   --no-distribution  (BENCH_DISTRIBUTION=0) measure Stowage only
//   --rows=ID,...      (BENCH_ROWS=ID,...)  run only these in-process rows (bench/micro.ts), no
//                      servers or clients; their rows replace the same ids in .bench/results.json
//   --only=GROUP,...   (BENCH_ONLY=GROUP,...) only these groups of server rows (bench/only.ts), e.g. blob;
//                      `meta` = manifest,tags,catalog; `gc` alone runs only the collection rows (bench/gc.ts)
//
// Every measurement is preceded by one warm-up of the same kind, runs against both registries in
// turn (the order alternates between scenarios) and is bounded by client timeouts.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { run, unmountAllUnder } from '../test/helpers/exec.js';
import { buildTestImage, ociLayoutToDockerArchive, type TestImage } from '../test/helpers/images.js';
import { startDockerd, type RunningDockerd } from '../test/helpers/dockerd.js';
import { findExecutable } from '../test/helpers/tools.js';
import {
  chunkedBlobUpload,
  closeAgent,
  createManyRepositories,
  createManyTags,
  drainGet,
  generatedBlobUpload,
  getJson,
  MANIFEST_ACCEPT,
  monolithicBlobUpload,
  request,
  sha256,
  streamedBlobUpload,
  walkCatalog,
  type UploadTiming,
} from './http.js';
import { ratioChartSvg, reportMarkdown, summaryOf } from './goals.js';
import { costOf, formatCosts, type OperationCost } from './aws-costs.js';
import { countAwsCalls } from '../test/helpers/aws-call-scenarios.js';
import { formatErrors, formatTable, median, ratioOf, type Cell, type Row } from './report.js';
import { processStats, repoRoot, startDistributionProcess, startStowageProcess, type Target } from './targets.js';
import { runRawLoad } from './rawload.js';
import { runWrk, type WrkResult } from './wrk.js';
import { MICRO_ROWS, type MicroRow } from './micro.js';
import { ONLY, runs } from './only.js';
import { benchGc, runGcOnly } from './gc.js';
import { RssPhases } from './rss-phases.js';
import { seedManifestImage } from './meta-only.js';
import { ceilingEntries, ceilingMarkdown, dockerdPids, formatCeilings, preloadImage, resetNullRegistry, startNullRegistryProcess, withCpu, type FlowSample } from './ceiling.js';
import { medianOfRounds } from './rounds.js';
import { formatMachineLimits, measureMachineLimits, type MachineLimits } from './machine-limits.js';
import { timed } from './timed.js';

const MiB = 1024 * 1024;

function flag(name: string, envName: string, envOn: (v: string) => boolean): boolean {
  if (process.argv.includes(name)) return true;
  const v = process.env[envName];
  return v !== undefined && envOn(v);
}

const QUICK = flag('--quick', 'BENCH_QUICK', (v) => v === '1' || v === 'true');
const NO_DOCKER = flag('--no-docker', 'BENCH_DOCKER', (v) => v === '0' || v === 'false');
const NO_DISTRIBUTION = flag('--no-distribution', 'BENCH_DISTRIBUTION', (v) => v === '0' || v === 'false');
const SELECTED_ROWS = (process.argv.find((a) => a.startsWith('--rows='))?.slice('--rows='.length) ?? process.env.BENCH_ROWS)
  ?.split(',')
  .map((id) => id.trim())
  .filter(Boolean);
/** --repeat=N (BENCH_REPEAT=N): the selected rows N times, each round with fresh servers; every cell is the median of its rounds. */
const REPEAT = Math.max(1, Number.parseInt(process.argv.find((a) => a.startsWith('--repeat='))?.slice('--repeat='.length) ?? process.env.BENCH_REPEAT ?? '1', 10) || 1);

const CFG = {
  layers: 4,
  layerBytes: (QUICK ? 2 : 16) * MiB,
  clients: 8,
  /** Single-client push/pull: repetitions (median reported). */
  singleReps: QUICK ? 1 : 3,
  blobBytes: (QUICK ? 32 : 256) * MiB,
  blobReps: QUICK ? 1 : 5,
  httpSeconds: QUICK ? 2 : 5,
  warmSeconds: QUICK ? 1 : 2,
  /** Chunked upload: the blob in PATCHes of this size (Content-Range). */
  chunkBytes: (QUICK ? 8 : 32) * MiB,
  /** 32 concurrent blob GETs, each of a different blob of this size. */
  concurrentGets: 32,
  concurrentGetBytes: (QUICK ? 1 : 16) * MiB,
  getReps: QUICK ? 1 : 3,
  connections: 32,
  wrkThreads: 2,
  tagCount: 500,
  catalogRepositories: QUICK ? 1000 : 10_000,
  catalogPageSize: 1000,
  catalogClients: 4,
  /** Peak RSS while one blob of this size is streamed in (generated on the fly, never in memory). */
  streamedPushBytes: QUICK ? 256 * MiB : 5 * 1024 * MiB,
};

const log = (msg: string) => process.stderr.write(`[bench ${elapsed().toFixed(0).padStart(4)}s] ${msg}\n`);
const T0 = Date.now();
const elapsed = () => (Date.now() - T0) / 1000;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs a measurement; a failure becomes an error cell instead of ending the benchmark. */
async function cell(what: string, fn: () => Promise<Cell>): Promise<Cell> {
  try {
    return await fn();
  } catch (err) {
    log(`FAILED: ${what}: ${errText(err).split('\n')[0]}`);
    return { error: errText(err) };
  }
}

/** Bytes a client moves for one image: manifest + config + layers, as the registry serves it. */
async function imageBytes(t: Target, repo: string, tag: string): Promise<number> {
  const r = await request('GET', `${t.url}/v2/${repo}/manifests/${tag}`, { headers: { accept: MANIFEST_ACCEPT } });
  if (r.status !== 200) throw new Error(`GET manifest ${repo}:${tag} on ${t.name}: HTTP ${r.status}`);
  const m = JSON.parse(r.body.toString('utf8')) as { config: { size: number }; layers: { size: number }[] };
  return r.body.length + m.config.size + m.layers.reduce((s, l) => s + l.size, 0);
}

const sync = () => run('sync', [], { timeoutMs: 60_000 });

async function toolVersion(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeoutMs: 10_000 });
    return (stdout || stderr).trim().split('\n')[0] ?? '';
  } catch (err) {
    // wrk --version exits 1 after printing its version.
    const e = err as { stdout?: string; stderr?: string };
    const text = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n')[0];
    return text || 'unavailable';
  }
}

// ---------------------------------------------------------------------------------------------

interface Ctx {
  work: string;
  targets: Target[];
  /** The servers of the client-flow rows: `targets`, plus the null registry when `ceiling` runs (bench/ceiling.ts). */
  clients: Target[];
  images: Map<string, TestImage>;
  rows: Row[];
  scenario: number;
  /** Per-target VmRSS by phase (./rss-phases.ts): which rows set the peak RSS. */
  rss: Map<Target, RssPhases>;
}

/** Closes the current RSS phase of every server under this name. */
async function rssPhase(ctx: Ctx, name: string): Promise<void> {
  const parts: string[] = [];
  for (const [t, tracker] of ctx.rss) {
    const p = await tracker.phase(name);
    if (p) parts.push(`${t.name} max ${p.maxRssMiB.toFixed(0)} MiB, after ${p.rssAfterMiB.toFixed(0)} MiB${p.raisedPeak ? ' (new peak)' : ''}`);
  }
  log(`RSS through ${name}: ${parts.join('; ')}`);
}

/** Targets in the order for the next scenario (alternating, so neither always goes first). */
function ordered(ctx: Ctx, among: Target[] = ctx.targets): Target[] {
  const order = ctx.scenario++ % 2 === 0 ? among : [...among].reverse();
  return order;
}

function newRow(ctx: Ctx, id: string, label: string, unit: string, better: 'higher' | 'lower'): Row {
  const row: Row = { id, label, unit, better, stowage: { error: 'not measured' } };
  if (ctx.targets.some((t) => t.name === 'distribution')) row.distribution = { error: 'not measured' };
  ctx.rows.push(row);
  return row;
}

/** A client-flow row: with a ceiling cell when the null registry runs too. */
function clientRow(ctx: Ctx, id: string, label: string): Row {
  const row = newRow(ctx, id, label, 'MiB/s', 'higher');
  if (ctx.clients.some((t) => t.name === 'null')) row.ceiling = { error: 'not measured' };
  return row;
}

function setCell(row: Row, t: Target, c: Cell): void {
  if (t.name === 'stowage') row.stowage = c;
  else if (t.name === 'distribution') row.distribution = c;
  else row.ceiling = c;
}

const SINGLE = (i: number) => `s${i + 1}`;
const CONC = (i: number) => `c${i}`;
const concNames = () => Array.from({ length: CFG.clients }, (_, i) => CONC(i));

function getCell(row: Row, t: Target): Cell | undefined {
  return t.name === 'stowage' ? row.stowage : t.name === 'distribution' ? row.distribution : row.ceiling;
}

/** Warm-up on every target; returns the targets whose warm-up worked (failures set `rows`' cells). */
async function warmUp(order: Target[], what: string, rows: Row[], fn: (t: Target) => Promise<unknown>): Promise<Target[]> {
  const ok: Target[] = [];
  for (const t of order) {
    log(`${what}: warm-up on ${t.name}`);
    const c = await cell(`${what} warm-up on ${t.name}`, () => fn(t).then(() => ({})));
    if (c.error !== undefined) for (const r of rows) setCell(r, t, { error: `warm-up failed: ${c.error}` });
    else ok.push(t);
  }
  return ok;
}

/**
 * Repetition i runs on every target before repetition i+1 starts, in alternating order
 * (A B, B A, A B, ...), so a burst of other load on the machine hits both registries alike.
 * `once` returns the value of one repetition; the cell gets the median. A target that fails
 * stops repeating and gets the error.
 */
async function interleaved(row: Row, order: Target[], reps: number, what: string, once: (t: Target, i: number) => Promise<{ value: number; extra?: unknown }>): Promise<void> {
  const values = new Map<Target, number[]>();
  const extras = new Map<Target, unknown[]>();
  const failed = new Set<Target>();
  for (let i = 0; i < reps; i++) {
    for (const t of i % 2 === 0 ? order : [...order].reverse()) {
      if (failed.has(t)) continue;
      try {
        const r = await once(t, i);
        values.set(t, [...(values.get(t) ?? []), r.value]);
        if (r.extra !== undefined) extras.set(t, [...(extras.get(t) ?? []), r.extra]);
      } catch (err) {
        failed.add(t);
        log(`FAILED: ${what} on ${t.name}: ${errText(err).split('\n')[0]}`);
        setCell(row, t, { error: errText(err) });
      }
    }
  }
  for (const t of order) {
    if (failed.has(t)) continue;
    const v = values.get(t) ?? [];
    setCell(row, t, { value: median(v), detail: { runs: v, ...(extras.has(t) ? { extra: extras.get(t) } : {}) } });
  }
}

/** One run per target (in `order`): `fn` returns the bytes moved, seconds and CPU split; the cell is MiB/s. */
async function eachOnce(row: Row, order: Target[], what: string, fn: (t: Target) => Promise<FlowSample>): Promise<void> {
  for (const t of order) {
    log(`${what}: ${t.name}`);
    setCell(
      row,
      t,
      await cell(`${what} on ${t.name}`, async () => {
        const sample = await fn(t);
        logCpu(what, t, sample);
        return { value: sample.bytes / MiB / sample.seconds, detail: { ...sample } };
      }),
    );
  }
}

/** One client flow's repetition: MiB/s, and its CPU split kept as the repetition's extra. */
function flowRun(what: string, t: Target, sample: FlowSample): { value: number; extra: FlowSample } {
  logCpu(what, t, sample);
  return { value: sample.bytes / MiB / sample.seconds, extra: sample };
}

function logCpu(what: string, t: Target, s: FlowSample): void {
  log(
    `  ${what} on ${t.name}: ${(s.bytes / MiB / s.seconds).toFixed(1)} MiB/s; CPU s client ${s.clientCpuS.toFixed(2)} (sys ${s.clientSysS.toFixed(2)}), server ${s.serverCpuS.toFixed(2)} (sys ${s.serverSysS.toFixed(2)}), wall ${s.seconds.toFixed(2)}, load ${s.load1}`,
  );
}

const noDaemons = async (): Promise<number[]> => [];

/** Bytes of these repositories' `latest` images as `t` holds them. */
async function imagesBytes(t: Target, repos: string[]): Promise<number> {
  return (await Promise.all(repos.map((r) => imageBytes(t, r, 'latest')))).reduce((a, b) => a + b, 0);
}

/**
 * Before the pull rows: the null registry gets these images (as the first registry whose push rows
 * worked holds them) in memory, so it serves real bytes.
 */
async function preloadNull(ctx: Ctx, order: Target[], pushed: Row, repos: string[]): Promise<void> {
  const nul = order.find((t) => t.name === 'null');
  if (!nul) return;
  const source = ctx.targets.find((t) => getCell(pushed, t)?.error === undefined);
  if (!source) throw new Error('no registry holds the pushed images to preload the null registry from');
  log(`null registry: preloading ${repos.length} images from ${source.name}`);
  await resetNullRegistry(nul);
  for (const r of repos) await preloadImage(source, nul, r, 'latest');
}

// ---- skopeo --------------------------------------------------------------------------------

async function skopeoPush(t: Target, img: TestImage, repo: string): Promise<void> {
  await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${img.layoutDir}:${img.tag}`, `docker://${t.host}/${repo}:${img.tag}`], {
    timeoutMs: 300_000,
  });
}

async function skopeoPull(t: Target, repo: string, dest: string): Promise<void> {
  await rm(dest, { recursive: true, force: true });
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${t.host}/${repo}:latest`, `oci:${dest}:latest`], {
    timeoutMs: 300_000,
  });
}

async function benchSkopeo(ctx: Ctx): Promise<void> {
  const img = (name: string) => ctx.images.get(name)!;
  const repo = (name: string) => `bench/skopeo-${name}`;
  const pushOne = clientRow(ctx, 'skopeo_push_1', 'skopeo push, 1 client');
  const pushMany = clientRow(ctx, 'skopeo_push_8', `skopeo push, ${CFG.clients} clients (aggregate)`);
  const pullOne = clientRow(ctx, 'skopeo_pull_1', 'skopeo pull, 1 client');
  const pullMany = clientRow(ctx, 'skopeo_pull_8', `skopeo pull, ${CFG.clients} clients (aggregate)`);

  let order = ordered(ctx, ctx.clients);
  await sync();
  let ok = await warmUp(order, 'skopeo push', [pushOne, pushMany, pullOne, pullMany], (t) => skopeoPush(t, img('warm'), repo('warm')));
  log('skopeo push, 1 client');
  await interleaved(pushOne, ok, CFG.singleReps, 'skopeo push 1 client', async (t, i) => {
    await sync();
    const cpu = await withCpu(t, noDaemons, () => skopeoPush(t, img(SINGLE(i)), repo(SINGLE(i))));
    return flowRun('skopeo push', t, { ...cpu, bytes: await imageBytes(t, repo(SINGLE(i)), 'latest') });
  });
  await eachOnce(pushMany, ok, `skopeo push, ${CFG.clients} clients`, async (t) => {
    await sync();
    const cpu = await withCpu(t, noDaemons, () => Promise.all(concNames().map((n) => skopeoPush(t, img(n), repo(n)))));
    return { ...cpu, bytes: await imagesBytes(t, concNames().map(repo)) };
  });

  const pulled = join(ctx.work, 'pulled');
  await mkdir(pulled, { recursive: true });
  order = ordered(ctx, ctx.clients).filter((t) => ok.includes(t) && getCell(pushMany, t)?.error === undefined);
  for (const t of ok) if (!order.includes(t)) for (const r of [pullOne, pullMany]) setCell(r, t, { error: 'skipped: the push rows failed' });
  await preloadNull(ctx, order, pushMany, [repo('warm'), ...Array.from({ length: CFG.singleReps }, (_, i) => repo(SINGLE(i))), ...concNames().map(repo)]);
  await sync();
  ok = await warmUp(order, 'skopeo pull', [pullOne, pullMany], (t) => skopeoPull(t, repo('warm'), join(pulled, `${t.name}-warm`)));
  log('skopeo pull, 1 client');
  await interleaved(pullOne, ok, CFG.singleReps, 'skopeo pull 1 client', async (t, i) => {
    const cpu = await withCpu(t, noDaemons, () => skopeoPull(t, repo(SINGLE(i)), join(pulled, `${t.name}-${SINGLE(i)}`)));
    return flowRun('skopeo pull', t, { ...cpu, bytes: await imageBytes(t, repo(SINGLE(i)), 'latest') });
  });
  await eachOnce(pullMany, ok, `skopeo pull, ${CFG.clients} clients`, async (t) => {
    const cpu = await withCpu(t, noDaemons, () => Promise.all(concNames().map((n) => skopeoPull(t, repo(n), join(pulled, `${t.name}-${n}`)))));
    return { ...cpu, bytes: await imagesBytes(t, concNames().map(repo)) };
  });
  const nul = ctx.clients.find((t) => t.name === 'null');
  if (nul) await resetNullRegistry(nul);
  await rm(pulled, { recursive: true, force: true });
}

// ---- docker --------------------------------------------------------------------------------

async function benchDocker(ctx: Ctx, skipReason: string | undefined): Promise<void> {
  const pushOne = clientRow(ctx, 'docker_push_1', 'docker push, 1 client');
  const pushMany = clientRow(ctx, 'docker_push_8', `docker push, ${CFG.clients} clients (aggregate)`);
  const pullOne = clientRow(ctx, 'docker_pull_1', 'docker pull, 1 client');
  const pullMany = clientRow(ctx, 'docker_pull_8', `docker pull, ${CFG.clients} clients (aggregate)`);
  const all = [pushOne, pushMany, pullOne, pullMany];
  if (skipReason) {
    for (const r of all) for (const t of ctx.clients) setCell(r, t, { error: `skipped: ${skipReason}` });
    return;
  }
  let dockerd: RunningDockerd | undefined;
  const base = join(ctx.work, 'dockerd');
  try {
    log('docker: starting a private dockerd and loading the images');
    dockerd = await startDockerd(base);
    const d = dockerd;
    /** The client's processes: dockerd and its containerd (the docker CLI is one of the bench's children). */
    const daemons = () => dockerdPids(base);
    const docker = (args: string[], timeoutMs = 300_000) => d.docker(args, { timeoutMs });
    const names = ['warm', ...Array.from({ length: CFG.singleReps }, (_, i) => SINGLE(i)), ...concNames()];
    const local = (n: string) => `bench-src/${n}:latest`;
    const remote = (t: Target, n: string) => `${t.host}/bench/docker-${n}:latest`;
    const repo = (n: string) => `bench/docker-${n}`;

    await mapLimit(names, 2, async (n) => {
      const img = ctx.images.get(n)!;
      const archive = join(ctx.work, 'archives', `${n}.tar`);
      await ociLayoutToDockerArchive(img.layoutDir, img.tag, archive, local(n));
      await docker(['load', '-q', '-i', archive]);
      await rm(archive, { force: true });
    });
    const removeAllImages = async () => {
      const ids = [
        ...new Set(
          (await docker(['images', '-q', '--no-trunc'])).stdout
            .split('\n')
            .map((s) => s.trim())
            .filter(Boolean),
        ),
      ];
      if (ids.length) await docker(['rmi', '-f', ...ids]);
      const left = (await docker(['images', '-q'])).stdout.trim();
      if (left) throw new Error(`docker rmi left images behind: ${left}`);
    };
    const push = async (t: Target, n: string) => {
      const { stdout } = await docker(['push', remote(t, n)]);
      if (!/digest: sha256:[0-9a-f]{64}/.test(stdout)) throw new Error(`docker push ${remote(t, n)} printed no digest:\n${stdout}`);
    };

    // Push: every image goes to each registry (docker recompresses layers on every push, so
    // neither registry benefits from the other having gone first).
    let order = ordered(ctx, ctx.clients);
    for (const t of order) for (const n of names) await docker(['tag', local(n), remote(t, n)]);
    await sync();
    let ok = await warmUp(order, 'docker push', all, (t) => push(t, 'warm'));
    log('docker push, 1 client');
    await interleaved(pushOne, ok, CFG.singleReps, 'docker push 1 client', async (t, i) => {
      await sync();
      const cpu = await withCpu(t, daemons, () => push(t, SINGLE(i)));
      return flowRun('docker push', t, { ...cpu, bytes: await imageBytes(t, repo(SINGLE(i)), 'latest') });
    });
    await eachOnce(pushMany, ok, `docker push, ${CFG.clients} clients`, async (t) => {
      await sync();
      const cpu = await withCpu(t, daemons, () => Promise.all(concNames().map((n) => push(t, n))));
      return { ...cpu, bytes: await imagesBytes(t, concNames().map(repo)) };
    });

    // Pull: nothing may be in the daemon's store, or docker would skip layers ("Already exists").
    await removeAllImages();
    const pull = async (t: Target, n: string) => {
      const { stdout } = await docker(['pull', remote(t, n)]);
      if (/Already exists/.test(stdout)) throw new Error(`docker pull ${remote(t, n)} reused local layers:\n${stdout}`);
    };
    order = ordered(ctx, ctx.clients).filter((t) => ok.includes(t) && getCell(pushMany, t)?.error === undefined);
    for (const t of ok) if (!order.includes(t)) for (const r of [pullOne, pullMany]) setCell(r, t, { error: 'skipped: the push rows failed' });
    await preloadNull(ctx, order, pushMany, names.map(repo));
    await sync();
    ok = await warmUp(order, 'docker pull', [pullOne, pullMany], async (t) => {
      await pull(t, 'warm');
      await removeAllImages();
    });
    log('docker pull, 1 client');
    await interleaved(pullOne, ok, CFG.singleReps, 'docker pull 1 client', async (t, i) => {
      await sync();
      const cpu = await withCpu(t, daemons, () => pull(t, SINGLE(i)));
      await removeAllImages();
      return flowRun('docker pull', t, { ...cpu, bytes: await imageBytes(t, repo(SINGLE(i)), 'latest') });
    });
    await eachOnce(pullMany, ok, `docker pull, ${CFG.clients} clients`, async (t) => {
      await sync();
      const cpu = await withCpu(t, daemons, () => Promise.all(concNames().map((n) => pull(t, n))));
      await removeAllImages();
      return { ...cpu, bytes: await imagesBytes(t, concNames().map(repo)) };
    });
    const nul = ctx.clients.find((t) => t.name === 'null');
    if (nul) await resetNullRegistry(nul);
  } catch (err) {
    log(`docker: FAILED: ${errText(err).split('\n')[0]}`);
    for (const r of all) {
      for (const t of ctx.clients) {
        if (getCell(r, t)?.error === 'not measured') setCell(r, t, { error: `docker failed: ${errText(err)}` });
      }
    }
  } finally {
    await dockerd?.stop().catch((err) => log(`dockerd stop: ${errText(err)}`));
    await unmountAllUnder(base);
  }
}

// ---- blobs: upload and GET ------------------------------------------------------------------

const BLOB_REPO = 'bench/blob';

// The blob rows run against the null registry too when the `ceiling` group runs (as the client-flow
// rows do): its uploads drop the bytes (no hash, no disk) and its GETs answer from memory, so it
// shows what the bench's own node:http client and loopback carry on this machine. Every
// repetition records the client's (this process's) and the server's CPU seconds. The disk's and
// the hash's limits come from ./machine-limits.ts.

/** A blob the null registry serves from memory (it drops uploaded bytes): random bytes of `size`; returns the digest. */
async function preloadNullBlob(t: Target, size: number): Promise<string> {
  const bytes = randomBytes(size);
  const digest = sha256(bytes);
  const put = await request('PUT', `${t.url}/_null/blobs/${digest}`, { body: bytes });
  if (put.status !== 201) throw new Error(`preload a blob into the null registry: HTTP ${put.status}`);
  return digest;
}

/** One blob-row repetition: the bench's client moves `bytes`; MiB/s from `seconds` (or the wall time), CPU split kept. */
async function blobRun(what: string, t: Target, bytes: number, fn: () => Promise<number | undefined>): Promise<{ value: number; extra: FlowSample }> {
  let measured: number | undefined;
  const cpu = await withCpu(
    t,
    noDaemons,
    async () => {
      measured = await fn();
    },
    { inProcessClient: true },
  );
  return flowRun(what, t, { ...cpu, seconds: measured ?? cpu.seconds, bytes });
}

/** Streamed and chunked 256 MiB uploads; returns, per registry, the digest of a blob it holds. */
async function benchBlobUpload(ctx: Ctx): Promise<Map<Target, string>> {
  const mib = CFG.blobBytes / MiB;
  const row = clientRow(ctx, 'blob_upload', `blob upload ${mib} MiB, POST+PATCH+PUT`);
  const chunkedRow = clientRow(ctx, 'blob_upload_chunked', `blob upload ${mib} MiB, chunked (${CFG.chunkBytes / MiB} MiB PATCHes)`);
  const blob = randomBytes(CFG.blobBytes);
  const held = new Map<Target, string>();
  let n = 0;
  // A fresh digest for every upload, so no registry can take a shortcut for a blob it already has.
  const fresh = () => {
    randomBytes(32).copy(blob, 0);
    blob.writeUInt32BE(n++, 32);
    return sha256(blob);
  };
  for (const [r, what, upload] of [
    [row, 'blob upload', (t: Target, digest: string) => streamedBlobUpload(t.url, BLOB_REPO, blob, digest)],
    [chunkedRow, 'chunked blob upload', (t: Target, digest: string) => chunkedBlobUpload(t.url, BLOB_REPO, blob, digest, CFG.chunkBytes)],
  ] as const) {
    const order = ordered(ctx, ctx.clients);
    await sync();
    const ok = await warmUp(order, what, [r], (t) => upload(t, fresh()));
    log(what);
    await interleaved(r, ok, CFG.blobReps, what, async (t) => {
      const digest = fresh();
      await sync();
      let timing: UploadTiming | undefined;
      const run = await blobRun(what, t, CFG.blobBytes, async () => {
        timing = await upload(t, digest);
        return timing.seconds;
      });
      if (t.name !== 'null') held.set(t, digest);
      return { value: run.value, extra: { ...run.extra, ...timing } };
    });
  }
  return held;
}

/** GET of one blob, counted and checked (status 200, every byte). */
async function getBlob(t: Target, repo: string, digest: string, size: number): Promise<void> {
  const r = await drainGet(`${t.url}/v2/${repo}/blobs/${digest}`);
  if (r.status !== 200 || r.bytes !== size) throw new Error(`GET ${repo}@${digest} on ${t.name}: HTTP ${r.status}, ${r.bytes} of ${size} bytes`);
}

async function benchBlobGets(ctx: Ctx, held: Map<Target, string>): Promise<void> {
  const one = clientRow(ctx, 'blob_get_1', `blob GET ${CFG.blobBytes / MiB} MiB, 1 client`);
  const many = clientRow(ctx, 'blob_get_32', `${CFG.concurrentGets} concurrent GETs of different ${CFG.concurrentGetBytes / MiB} MiB blobs (aggregate)`);
  const nul = ctx.clients.find((t) => t.name === 'null');
  if (nul) held.set(nul, await preloadNullBlob(nul, CFG.blobBytes));
  let order = ordered(ctx, ctx.clients).filter((t) => held.has(t));
  for (const t of ctx.clients) if (!held.has(t)) setCell(one, t, { error: 'skipped: no blob uploaded (the upload rows failed)' });
  let ok = await warmUp(order, 'blob GET', [one], (t) => getBlob(t, BLOB_REPO, held.get(t)!, CFG.blobBytes));
  log('blob GET, 1 client');
  await interleaved(one, ok, CFG.getReps, 'blob GET', (t) => blobRun('blob GET', t, CFG.blobBytes, () => getBlob(t, BLOB_REPO, held.get(t)!, CFG.blobBytes).then(() => undefined)));

  await rssPhase(ctx, 'blob GET, 1 client');
  const repo = 'bench/blobs32';
  const digests = new Map<Target, string[]>();
  order = ordered(ctx, ctx.clients);
  ok = await warmUp(order, `${CFG.concurrentGets} blobs: upload`, [many], async (t) => {
    const base = randomBytes(CFG.concurrentGetBytes);
    const list: string[] = [];
    for (let i = 0; i < CFG.concurrentGets; i++) {
      randomBytes(32).copy(base, 0);
      list.push(t.name === 'null' ? await preloadNullBlob(t, CFG.concurrentGetBytes) : await monolithicBlobUpload(t.url, repo, base));
    }
    digests.set(t, list);
  });
  await sync();
  const all = (t: Target) => Promise.all(digests.get(t)!.map((d) => getBlob(t, repo, d, CFG.concurrentGetBytes)));
  ok = await warmUp(ok, `${CFG.concurrentGets} concurrent blob GETs`, [many], all);
  log(`${CFG.concurrentGets} concurrent blob GETs`);
  await interleaved(many, ok, CFG.getReps, 'concurrent blob GETs', (t) =>
    blobRun('concurrent blob GETs', t, CFG.concurrentGets * CFG.concurrentGetBytes, () => all(t).then(() => undefined)),
  );
  if (nul) await resetNullRegistry(nul);
}

/**
 * Peak RSS (VmHWM) of a freshly started registry of each kind through one streamed push of
 * streamedPushBytes (one PATCH, generated on the fly): what a server needs for a large layer,
 * which should not grow with it. Fresh processes, so the bench's earlier work does not count.
 */
async function benchStreamedPushRss(ctx: Ctx): Promise<void> {
  const size = CFG.streamedPushBytes;
  const label = size >= 1024 * MiB ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`;
  const row = newRow(ctx, 'rss_streamed_push', `peak RSS of a fresh server through a ${label} streamed push`, 'MiB', 'lower');
  for (const old of ordered(ctx)) {
    log(`streamed push of ${label}: a fresh ${old.name}`);
    setCell(
      row,
      old,
      await cell(`streamed push on ${old.name}`, async () => {
        const base = join(ctx.work, `rss-${old.name}`);
        const t = old.name === 'stowage' ? await startStowageProcess(base) : await startDistributionProcess(base);
        try {
          await sync();
          const before = (await processStats(t.pid))?.peakRssMiB ?? NaN;
          const seconds = await generatedBlobUpload(t.url, 'bench/big', size);
          const peak = (await processStats(t.pid))?.peakRssMiB;
          if (peak === undefined) throw new Error(`no /proc stats for pid ${t.pid}`);
          return { value: peak, detail: { peakRssAfterStartMiB: before, seconds, mibPerSec: size / MiB / seconds } };
        } finally {
          await t.stop();
          await rm(base, { recursive: true, force: true });
        }
      }),
    );
  }
}

// ---- HTTP request rates --------------------------------------------------------------------

/**
 * Request rate and p99 for one endpoint on every target: a warm-up on each, then the measured runs
 * in A B B A order (each target measured twice, `httpSeconds` each; the cell is the mean of its two
 * runs, both kept in the detail). GET uses wrk; HEAD uses rawload, because wrk and autocannon hang
 * on keep-alive HEAD responses that carry Content-Length (see rawload.ts).
 */
async function requestRates(ctx: Ctx, order: Target[], path: string, method: 'GET' | 'HEAD', headers: Record<string, string>, rpsRow: Row, p99Row: Row): Promise<void> {
  const load = (t: Target, durationSec: number): Promise<WrkResult> => {
    const url = `${t.url}${path}`;
    return method === 'HEAD'
      ? runRawLoad({ url, method, headers, connections: CFG.connections, processes: CFG.wrkThreads, durationSec })
      : runWrk({ url, method, headers, connections: CFG.connections, threads: CFG.wrkThreads, durationSec, scriptDir: ctx.work });
  };
  const tool = method === 'HEAD' ? 'rawload' : 'wrk';
  const results = new Map<Target, WrkResult[]>();
  const failed = new Map<Target, string>();
  for (const t of order) {
    try {
      await load(t, CFG.warmSeconds);
    } catch (err) {
      failed.set(t, `warm-up: ${errText(err)}`);
    }
  }
  for (const t of [...order, ...[...order].reverse()]) {
    if (failed.has(t)) continue;
    try {
      const r = await load(t, CFG.httpSeconds);
      const bad = r.non2xx + r.socketErrors;
      if (r.requests === 0 || bad > r.requests * 0.001) {
        throw new Error(`${method} ${path}: ${r.requests} requests, ${r.non2xx} non-2xx/3xx, ${r.socketErrors} socket errors`);
      }
      if (bad > 0) log(`warning: ${method} ${path} on ${t.name}: ${r.non2xx} non-2xx/3xx, ${r.socketErrors} socket errors`);
      results.set(t, [...(results.get(t) ?? []), r]);
    } catch (err) {
      failed.set(t, errText(err));
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const t of order) {
    const f = failed.get(t);
    if (f !== undefined) {
      setCell(rpsRow, t, { error: f });
      setCell(p99Row, t, { error: f });
      continue;
    }
    const rs = results.get(t)!;
    setCell(rpsRow, t, { value: mean(rs.map((r) => r.reqPerSec)), detail: { tool, runs: rs } });
    setCell(p99Row, t, { value: mean(rs.map((r) => r.p99Ms)), detail: { tool, runsP99Ms: rs.map((r) => r.p99Ms), runsP50Ms: rs.map((r) => r.p50Ms) } });
  }
}

async function benchManifests(ctx: Ctx): Promise<void> {
  const conn = `${CFG.connections} conns`;
  const headRps = newRow(ctx, 'manifest_head_rps', `manifest HEAD by tag (${conn})`, 'req/s', 'higher');
  const headP99 = newRow(ctx, 'manifest_head_p99', 'manifest HEAD by tag, p99 latency', 'ms', 'lower');
  const getRps = newRow(ctx, 'manifest_get_rps', `manifest GET by tag (${conn})`, 'req/s', 'higher');
  const getP99 = newRow(ctx, 'manifest_get_p99', 'manifest GET by tag, p99 latency', 'ms', 'lower');
  const path = '/v2/bench/skopeo-s1/manifests/latest';
  const order: Target[] = [];
  for (const t of ordered(ctx)) {
    const probe = await request('GET', `${t.url}${path}`, { headers: { accept: MANIFEST_ACCEPT } }).catch((e: unknown) => ({ status: 0, body: Buffer.from(errText(e)) }));
    if (probe.status !== 200) {
      const c = { error: `GET ${path}: HTTP ${probe.status} ${probe.body.toString('utf8').slice(0, 300)}` };
      for (const r of [headRps, headP99, getRps, getP99]) setCell(r, t, c);
    } else {
      order.push(t);
    }
  }
  log('manifest HEAD by tag');
  await requestRates(ctx, order, path, 'HEAD', { Accept: MANIFEST_ACCEPT }, headRps, headP99);
  log('manifest GET by tag');
  await requestRates(ctx, order, path, 'GET', { Accept: MANIFEST_ACCEPT }, getRps, getP99);
}

async function benchTags(ctx: Ctx): Promise<void> {
  const conn = `${CFG.connections} conns`;
  const rps = newRow(ctx, 'tags_list_rps', `tags list, ${CFG.tagCount} tags (${conn})`, 'req/s', 'higher');
  const p99 = newRow(ctx, 'tags_list_p99', `tags list, ${CFG.tagCount} tags, p99 latency`, 'ms', 'lower');
  const repo = 'bench/tags';
  const path = `/v2/${repo}/tags/list`;
  const order: Target[] = [];
  for (const t of ordered(ctx)) {
    log(`tags list: creating ${CFG.tagCount} tags on ${t.name}`);
    try {
      const s = await timed(() => createManyTags(t.url, repo, CFG.tagCount));
      log(`  ${CFG.tagCount} tags created in ${s.toFixed(1)} s`);
      const r = await getJson(`${t.url}${path}`);
      const tags = (r.json as { tags?: unknown[] } | undefined)?.tags ?? [];
      if (r.status !== 200 || tags.length !== CFG.tagCount || r.headers.link) {
        throw new Error(`GET ${path}: HTTP ${r.status}, ${tags.length} tags, link=${String(r.headers.link)}; expected all ${CFG.tagCount} tags in one response`);
      }
      order.push(t);
    } catch (err) {
      const c = { error: errText(err) };
      setCell(rps, t, c);
      setCell(p99, t, c);
    }
  }
  log('tags list');
  await requestRates(ctx, order, path, 'GET', {}, rps, p99);
}

/** The whole catalog, walked page by page by catalogClients clients at once; repositories listed per second. */
async function benchCatalog(ctx: Ctx): Promise<void> {
  const n = CFG.catalogRepositories;
  const row = newRow(ctx, 'catalog_rps', `catalog of ${n} repositories, ${CFG.catalogPageSize}-name pages (${CFG.catalogClients} clients)`, 'repos/s', 'higher');
  const order: Target[] = [];
  for (const t of ordered(ctx)) {
    log(`catalog: creating ${n} repositories on ${t.name}`);
    try {
      const s = await timed(() => createManyRepositories(t.url, 'bench/cat', n));
      log(`  ${n} repositories created in ${s.toFixed(1)} s`);
      const walk = await walkCatalog(t.url, CFG.catalogPageSize);
      if (walk.repositories < n) throw new Error(`catalog walk listed ${walk.repositories} repositories, expected at least ${n}`);
      order.push(t);
    } catch (err) {
      setCell(row, t, { error: errText(err) });
    }
  }
  await rssPhase(ctx, 'catalog fill');
  log('catalog');
  const runs = new Map<Target, number[]>();
  // A B B A, as the other HTTP rows; each run: the clients walk the catalog until the time is up.
  for (const t of [...order, ...[...order].reverse()]) {
    if (getCell(row, t)?.error !== 'not measured' && getCell(row, t)?.error !== undefined) continue;
    try {
      const deadline = Date.now() + CFG.httpSeconds * 1000;
      let listed = 0;
      const s = await timed(() =>
        Promise.all(
          Array.from({ length: CFG.catalogClients }, async () => {
            do listed += (await walkCatalog(t.url, CFG.catalogPageSize)).repositories;
            while (Date.now() < deadline);
          }),
        ),
      );
      runs.set(t, [...(runs.get(t) ?? []), listed / s]);
    } catch (err) {
      setCell(row, t, { error: errText(err) });
    }
  }
  for (const [t, v] of runs) if (getCell(row, t)?.error === 'not measured') setCell(row, t, { value: v.reduce((a, b) => a + b, 0) / v.length, detail: { runs: v } });
}

// ---------------------------------------------------------------------------------------------

async function buildImages(ctx: Pick<Ctx, 'work' | 'images'>): Promise<void> {
  const names = ['warm', ...Array.from({ length: CFG.singleReps }, (_, i) => SINGLE(i)), ...Array.from({ length: CFG.clients }, (_, i) => CONC(i))];
  log(`building ${names.length} test images (${CFG.layers} layers x ${CFG.layerBytes / MiB} MiB random, umoci)`);
  await mapLimit(names, 2, async (n) => {
    ctx.images.set(n, await buildTestImage(join(ctx.work, 'images', n), { layers: CFG.layers, layerSizeBytes: CFG.layerBytes, tag: 'latest' }));
  });
}

/** Runs the in-process rows one after another, after the servers stopped (they would skew them). */
async function benchMicro(rows: Row[], which: readonly MicroRow[]): Promise<void> {
  for (const m of which) {
    log(m.label);
    const row: Row = { id: m.id, label: m.label, unit: m.unit, better: m.better, stowage: { error: 'not measured' } };
    rows.push(row);
    row.stowage = await m.measure().catch((err: unknown) => ({ error: errText(err) }));
  }
}

/** `--rows=`: only the selected in-process rows; the rest of .bench/results.json is kept. */
async function mainSelected(ids: string[]): Promise<void> {
  const unknown = ids.filter((id) => !MICRO_ROWS.some((m) => m.id === id));
  if (unknown.length) throw new Error(`--rows: ${unknown.join(', ')} cannot run alone; selectable: ${MICRO_ROWS.map((m) => m.id).join(', ')}`);
  const rows: Row[] = [];
  await benchMicro(
    rows,
    MICRO_ROWS.filter((m) => ids.includes(m.id)),
  );
  process.stdout.write(`\n${formatTable(rows)}\n`);
  const errors = formatErrors(rows);
  if (errors.length) process.stdout.write(`\nErrors:\n${errors.map((e) => `  ${e}`).join('\n')}\n`);
  const file = join(repoRoot(), '.bench', 'results.json');
  const previous = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as { rows?: Row[] };
  const merged = [...(previous.rows ?? []).filter((r) => !ids.includes(r.id)), ...rows.map((r) => ({ ...r, ratio: null }))];
  await mkdir(join(repoRoot(), '.bench'), { recursive: true });
  await writeFile(file, JSON.stringify({ ...previous, rows: merged }, null, 2) + '\n');
  log(`wrote ${ids.join(', ')} into ${file}`);
  if (rows.some((r) => r.stowage.error !== undefined)) process.exitCode = 1;
}

type ServerStats = Record<string, Awaited<ReturnType<typeof processStats>>>;

/** One pass over the selected rows with freshly started servers (removed afterwards); returns their CPU and peak RSS. */
async function measureRound(ctx: Ctx, haveDistribution: boolean, dockerSkip: string | undefined): Promise<ServerStats> {
  const work = ctx.work;
  await mkdir(work, { recursive: true });
  const serverStats: ServerStats = {};
  try {
    ctx.targets.push(await startStowageProcess(join(work, 'stowage')));
    if (haveDistribution) ctx.targets.push(await startDistributionProcess(join(work, 'distribution')));
    ctx.clients.push(...ctx.targets);
    if (runs('ceiling')) ctx.clients.push(await startNullRegistryProcess(join(work, 'null')));
    for (const t of ctx.clients) log(`${t.name} at ${t.url} (pid ${t.pid})`);
    for (const t of ctx.targets) ctx.rss.set(t, new RssPhases(t.pid));
    await rssPhase(ctx, 'started');

    // BENCH_ONLY (./only.ts) picks groups; the manifest and tags rows read the skopeo push's repositories.
    if (runs('skopeo')) {
      await benchSkopeo(ctx);
      await rssPhase(ctx, 'skopeo');
    }
    if (runs('docker')) {
      await benchDocker(ctx, dockerSkip);
      await rssPhase(ctx, 'docker');
    }
    if (runs('blob')) {
      const held = await benchBlobUpload(ctx);
      await rssPhase(ctx, 'blob upload');
      await benchBlobGets(ctx, held);
      await rssPhase(ctx, `${CFG.concurrentGets} concurrent blob GETs`);
    }
    // Without the skopeo rows, the manifest rows read an image of the same shape pushed over HTTP.
    if (runs('manifest') && !runs('skopeo')) for (const t of ctx.targets) await seedManifestImage(t.url);
    if (runs('manifest')) {
      await benchManifests(ctx);
      await rssPhase(ctx, 'manifest HEAD/GET');
    }
    if (runs('tags')) {
      await benchTags(ctx);
      await rssPhase(ctx, 'tags list');
    }
    if (runs('catalog')) {
      await benchCatalog(ctx);
      await rssPhase(ctx, 'catalog walk');
    }
    for (const tracker of ctx.rss.values()) tracker.stop();

    const peakRss = newRow(ctx, 'peak_rss', 'peak RSS over the bench', 'MiB', 'lower');
    for (const t of ctx.targets) {
      const st = await processStats(t.pid);
      serverStats[t.name] = st;
      setCell(peakRss, t, st ? { value: st.peakRssMiB, detail: { phases: ctx.rss.get(t)?.phases } } : { error: 'no /proc stats' });
    }
    if (runs('rss')) await benchStreamedPushRss(ctx);
    if (runs('gc')) ctx.rows.push(...(await benchGc({ work, quick: QUICK, withDistribution: haveDistribution, log })));
  } finally {
    for (const t of ctx.clients) await t.stop().catch((err) => log(`stopping ${t.name}: ${errText(err)}`));
    // Errors logged by the servers are worth seeing.
    for (const t of ctx.clients) {
      const text = await readFile(t.logFile, 'utf8').catch(() => '');
      // distribution logs every 404 (a client's HEAD before an upload) at level error: expected, not shown.
      const all = text.split('\n').filter((l) => l.trim() && !/listening on/.test(l));
      const lines = all.filter((l) => !/err\.code="(blob|manifest) unknown"/.test(l));
      if (all.length > lines.length) log(`${t.name} log: ${all.length - lines.length} expected "blob/manifest unknown" lines not shown`);
      if (lines.length) {
        log(`${t.name} log (${lines.length} lines, last 20):`);
        for (const l of lines.slice(-20)) process.stderr.write(`    ${l.slice(0, 400)}\n`);
      }
    }
    await unmountAllUnder(work);
    await rm(work, { recursive: true, force: true }).catch((err) => log(`cleanup ${work}: ${errText(err)}`));
  }
  return serverStats;
}

async function main(): Promise<void> {
  if (SELECTED_ROWS?.length) return mainSelected(SELECTED_ROWS);
  // The collection rows start their own servers: alone, they need none of the shared ones.
  if (ONLY?.size === 1 && ONLY.has('gc')) return runGcOnly({ quick: QUICK, withDistribution: !NO_DISTRIBUTION && findExecutable('docker-registry') !== undefined, log });
  const required = ['skopeo', 'umoci', 'wrk'];
  const missing = required.filter((c) => !findExecutable(c));
  if (missing.length) throw new Error(`missing tools: ${missing.join(', ')} (apt-get install -y ${missing.join(' ')})`);
  const haveDistribution = !NO_DISTRIBUTION && findExecutable('docker-registry') !== undefined;
  let dockerSkip: string | undefined;
  if (NO_DOCKER) dockerSkip = 'disabled (--no-docker / BENCH_DOCKER=0)';
  else if (!findExecutable('dockerd') || !findExecutable('docker')) dockerSkip = 'dockerd/docker not installed (apt-get install -y docker.io)';
  else if (process.getuid?.() !== 0) dockerSkip = 'dockerd needs root';

  const cpuList = cpus();
  const env = {
    node: process.version,
    cores: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    /** 1/5/15-minute load averages when the bench started; anything else running skews the numbers. */
    loadAvgAtStart: loadavg().map((x) => Number(x.toFixed(2))),
    tools: {
      skopeo: await toolVersion('skopeo', ['--version']),
      wrk: await toolVersion('wrk', ['--version']),
      distribution: haveDistribution ? await toolVersion('docker-registry', ['--version']) : 'not installed',
      docker: dockerSkip ? 'not used' : await toolVersion('docker', ['--version']),
    },
  };
  const envLines = [
    `node ${env.node}, ${env.cores} cores (${env.cpuModel}), ${env.memoryGiB} GiB RAM, Linux ${env.kernel}, load average at start ${env.loadAvgAtStart.join(' ')}`,
    `skopeo: ${env.tools.skopeo}; wrk: ${env.tools.wrk}; distribution: ${env.tools.distribution}; docker: ${env.tools.docker}`,
    `config: ${JSON.stringify(CFG)}${QUICK ? ' (QUICK)' : ''}`,
  ];
  for (const l of envLines) log(l);

  const work = await mkdtemp(join(tmpdir(), 'stowage-bench-'));
  const images = new Map<string, TestImage>();
  const rounds: Row[][] = [];
  let serverStats: ServerStats = {};
  let machineLimits: MachineLimits | undefined;
  try {
    if (runs('skopeo') || runs('docker')) await buildImages({ work, images });
    if (runs('blob')) {
      machineLimits = await measureMachineLimits(work, CFG.blobBytes);
      log(formatMachineLimits(machineLimits));
    }
    for (let round = 1; round <= REPEAT; round++) {
      if (REPEAT > 1) log(`round ${round} of ${REPEAT}`);
      const ctx: Ctx = { work: join(work, `round${round}`), targets: [], clients: [], images, rows: [], scenario: round - 1, rss: new Map() };
      serverStats = await measureRound(ctx, haveDistribution, dockerSkip);
      rounds.push(ctx.rows);
    }
  } finally {
    closeAgent();
    await unmountAllUnder(work);
    await rm(work, { recursive: true, force: true }).catch((err) => log(`cleanup ${work}: ${errText(err)}`));
  }
  const ctx = { rows: medianOfRounds(rounds) };
  if (!ONLY) await benchMicro(ctx.rows, MICRO_ROWS);
  log('AWS calls per operation (S3 and DynamoDB emulators) and their list-price cost');
  const awsCosts: OperationCost[] | { error: string } = await (ONLY ? Promise.reject(new Error(`skipped (BENCH_ONLY=${[...ONLY].join(',')})`)) : countAwsCalls()).then(
    (counted) => Object.entries(counted).map(([operation, calls]) => costOf(operation, calls)),
    (err: unknown) => ({ error: errText(err) }),
  );
  const costLines = Array.isArray(awsCosts) ? formatCosts(awsCosts) : [`AWS call counts failed: ${awsCosts.error}`];

  const totalSeconds = elapsed();
  const summary = summaryOf(ctx.rows);
  const goals = new Map(summary.map((e) => [e.id, e]));
  const ceilings = ceilingEntries(ctx.rows);
  const out: string[] = [];
  out.push('', 'Stowage vs distribution 2.8 — same machine, same clients, same run', ...envLines.map((l) => `  ${l}`));
  if (!haveDistribution) out.push('  distribution (docker-registry) not measured: Stowage values only, ratios n/a');
  if (env.loadAvgAtStart[0]! > 0.5 * env.cores) {
    out.push(`  WARNING: load average ${env.loadAvgAtStart[0]} at start on ${env.cores} cores: something else is running; the numbers are unreliable.`);
  }
  out.push(
    '  ratio > 1.0 means Stowage is better: throughput and req/s rows are Stowage/distribution,',
    '  p99 latency rows are distribution/Stowage. MiB/s counts manifest + config + layer bytes (compressed);',
    `  single-client push/pull rows: median of ${CFG.singleReps} runs; blob upload: median of ${CFG.blobReps}; multi-client rows: total bytes / wall time.`,
    `  Repetitions alternate between the registries (A B, B A, ...) so that other load on the machine hits both alike.`,
    `  HTTP rows: ${CFG.warmSeconds} s warm-up, then 2 x ${CFG.httpSeconds} s (A B B A; mean) with ${CFG.connections} keep-alive connections; GET rows with wrk -t${CFG.wrkThreads},`,
    `  HEAD rows with bench/rawload.ts (${CFG.wrkThreads} processes; wrk and autocannon cannot do keep-alive HEAD).`,
    '',
    formatTable(ctx.rows, goals),
  );
  if (ceilings.length) out.push('', ...formatCeilings(ceilings));
  if (machineLimits) out.push(`  ${formatMachineLimits(machineLimits)}`);
  if (REPEAT > 1) out.push('', `  Every value is the median of ${REPEAT} rounds (--repeat), each with freshly started servers; server stats below are the last round's.`);
  const errors = formatErrors(ctx.rows);
  if (errors.length) out.push('', 'Errors / skipped:', ...errors.map((e) => `  ${e}`));
  for (const [name, st] of Object.entries(serverStats)) {
    if (st) out.push(`  ${name}: peak RSS ${st.peakRssMiB.toFixed(0)} MiB, CPU ${st.cpuSeconds.toFixed(1)} s over the run`);
  }
  out.push(`  total bench time ${totalSeconds.toFixed(0)} s`, '', ...costLines, '');
  process.stdout.write(out.join('\n') + '\n');

  const resultsDir = join(repoRoot(), '.bench');
  await mkdir(resultsDir, { recursive: true });
  const results = {
    date: new Date().toISOString(),
    quick: QUICK,
    env,
    config: CFG,
    totalSeconds,
    loadAvgAtEnd: loadavg().map((x) => Number(x.toFixed(2))),
    serverStats,
    /** Issue 15's table: every row as {row, unit, stowage, distribution, ratio, target, met}. */
    table: summary,
    /** The client-flow rows against the null registry (bench/ceiling.ts), when the `ceiling` group ran. */
    ceilings,
    /** The disk's durable write rate and node's SHA-256 rate (./machine-limits.ts), when the blob rows ran. */
    machineLimits,
    repeat: REPEAT,
    /** USD per 1,000 operations from the counted AWS calls (bench/aws-costs.ts states the prices). */
    awsCosts,
    rows: ctx.rows.map((r) => ({ ...r, ratio: ratioOf(r) ?? null })),
  };
  await writeFile(join(resultsDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  await writeFile(join(resultsDir, 'ratios.svg'), ratioChartSvg(summary));
  await writeFile(
    join(resultsDir, 'report.md'),
    reportMarkdown({
      date: results.date,
      quick: QUICK,
      machine: `${env.cpuModel}, ${env.cores} cores, ${env.memoryGiB} GiB RAM, Linux ${env.kernel}; load average at start ${env.loadAvgAtStart.join(' ')}, at end ${results.loadAvgAtEnd.join(' ')}`,
      tools: `node ${env.node}; skopeo: ${env.tools.skopeo}; docker: ${env.tools.docker}; distribution: ${env.tools.distribution}; wrk: ${env.tools.wrk}`,
      notes: [
        `Config: ${JSON.stringify(CFG)}`,
        `Total bench time ${totalSeconds.toFixed(0)} s.${REPEAT > 1 ? ` Every value is the median of ${REPEAT} rounds (--repeat), each with fresh servers; server stats are the last round's.` : ''}`,
        ...Object.entries(serverStats).flatMap(([name, st]) => (st ? [`${name}: peak RSS ${st.peakRssMiB.toFixed(0)} MiB, CPU ${st.cpuSeconds.toFixed(1)} s`] : [])),
        ...(machineLimits ? [`${formatMachineLimits(machineLimits)} (bench/machine-limits.ts).`] : []),
        ...costLines,
      ],
      entries: summary,
      sections: ceilingMarkdown(ceilings),
    }),
  );
  log(`wrote ${join(resultsDir, 'results.json')}, report.md and ratios.svg`);
  if (ctx.rows.some((r) => r.stowage.error !== undefined && !r.stowage.error.startsWith('skipped'))) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
