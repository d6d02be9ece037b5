// `npm run bench`: Stowage (embedded default, temp data dir) against distribution 2.8 (Debian's
// docker-registry, equivalent config) when it is installed, measured in the same run with the same
// clients. Prints the environment and a table; writes .bench/results.json.
//
// Options (argv or environment):
//   --quick            (BENCH_QUICK=1)      small sizes and short runs, to check the bench itself
//   --no-docker        (BENCH_DOCKER=0)     skip the docker rows
//   --no-distribution  (BENCH_DISTRIBUTION=0) measure Stowage only
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
import { closeAgent, createManyTags, getJson, MANIFEST_ACCEPT, request, sha256, streamedBlobUpload, type UploadTiming } from './http.js';
import { formatErrors, formatTable, median, ratioOf, type Cell, type Row } from './report.js';
import { processStats, repoRoot, startDistributionProcess, startStowageProcess, type Target } from './targets.js';
import { runRawLoad } from './rawload.js';
import { runWrk } from './wrk.js';

const MiB = 1024 * 1024;

function flag(name: string, envName: string, envOn: (v: string) => boolean): boolean {
  if (process.argv.includes(name)) return true;
  const v = process.env[envName];
  return v !== undefined && envOn(v);
}

const QUICK = flag('--quick', 'BENCH_QUICK', (v) => v === '1' || v === 'true');
const NO_DOCKER = flag('--no-docker', 'BENCH_DOCKER', (v) => v === '0' || v === 'false');
const NO_DISTRIBUTION = flag('--no-distribution', 'BENCH_DISTRIBUTION', (v) => v === '0' || v === 'false');

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
  connections: 32,
  wrkThreads: 2,
  tagCount: 500,
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

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
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
  images: Map<string, TestImage>;
  rows: Row[];
  scenario: number;
}

/** Targets in the order for the next scenario (alternating, so neither always goes first). */
function ordered(ctx: Ctx): Target[] {
  const order = ctx.scenario++ % 2 === 0 ? ctx.targets : [...ctx.targets].reverse();
  return order;
}

function newRow(ctx: Ctx, id: string, label: string, unit: string, better: 'higher' | 'lower'): Row {
  const row: Row = { id, label, unit, better, stowage: { error: 'not measured' } };
  if (ctx.targets.some((t) => t.name === 'distribution')) row.distribution = { error: 'not measured' };
  ctx.rows.push(row);
  return row;
}

function setCell(row: Row, t: Target, c: Cell): void {
  if (t.name === 'stowage') row.stowage = c;
  else row.distribution = c;
}

const SINGLE = (i: number) => `s${i + 1}`;
const CONC = (i: number) => `c${i}`;

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
  const pushOne = newRow(ctx, 'skopeo_push_1', 'skopeo push, 1 client', 'MiB/s', 'higher');
  const pushMany = newRow(ctx, 'skopeo_push_8', `skopeo push, ${CFG.clients} clients (aggregate)`, 'MiB/s', 'higher');
  for (const t of ordered(ctx)) {
    log(`skopeo push -> ${t.name}`);
    await sync();
    const warm = await cell(`skopeo push warm-up to ${t.name}`, async () => {
      await skopeoPush(t, img('warm'), repo('warm'));
      return {};
    });
    if (warm.error) {
      setCell(pushOne, t, warm);
      setCell(pushMany, t, warm);
      continue;
    }
    setCell(pushOne, t, await cell(`skopeo push 1 client to ${t.name}`, async () => {
      const rates: number[] = [];
      for (let i = 0; i < CFG.singleReps; i++) {
        await sync();
        const s = await timed(() => skopeoPush(t, img(SINGLE(i)), repo(SINGLE(i))));
        rates.push((await imageBytes(t, repo(SINGLE(i)), 'latest')) / MiB / s);
      }
      return { value: median(rates), detail: { runsMiBps: rates } };
    }));
    setCell(pushMany, t, await cell(`skopeo push ${CFG.clients} clients to ${t.name}`, async () => {
      await sync();
      const names = Array.from({ length: CFG.clients }, (_, i) => CONC(i));
      const s = await timed(() => Promise.all(names.map((n) => skopeoPush(t, img(n), repo(n)))));
      const bytes = (await Promise.all(names.map((n) => imageBytes(t, repo(n), 'latest')))).reduce((a, b) => a + b, 0);
      return { value: bytes / MiB / s, detail: { seconds: s, bytes } };
    }));
  }

  const pullOne = newRow(ctx, 'skopeo_pull_1', 'skopeo pull, 1 client', 'MiB/s', 'higher');
  const pullMany = newRow(ctx, 'skopeo_pull_8', `skopeo pull, ${CFG.clients} clients (aggregate)`, 'MiB/s', 'higher');
  const pulled = join(ctx.work, 'pulled');
  await mkdir(pulled, { recursive: true });
  for (const t of ordered(ctx)) {
    if ((t.name === 'stowage' ? pushMany.stowage : pushMany.distribution)?.error) {
      const c = { error: 'skipped: the push rows failed' };
      setCell(pullOne, t, c);
      setCell(pullMany, t, c);
      continue;
    }
    log(`skopeo pull <- ${t.name}`);
    await sync();
    await cell(`skopeo pull warm-up from ${t.name}`, () => skopeoPull(t, repo('warm'), join(pulled, 'warm')).then(() => ({})));
    setCell(pullOne, t, await cell(`skopeo pull 1 client from ${t.name}`, async () => {
      const rates: number[] = [];
      for (let i = 0; i < CFG.singleReps; i++) {
        const dest = join(pulled, `${t.name}-${SINGLE(i)}`);
        const s = await timed(() => skopeoPull(t, repo(SINGLE(i)), dest));
        rates.push((await imageBytes(t, repo(SINGLE(i)), 'latest')) / MiB / s);
      }
      return { value: median(rates), detail: { runsMiBps: rates } };
    }));
    setCell(pullMany, t, await cell(`skopeo pull ${CFG.clients} clients from ${t.name}`, async () => {
      const names = Array.from({ length: CFG.clients }, (_, i) => CONC(i));
      const s = await timed(() => Promise.all(names.map((n) => skopeoPull(t, repo(n), join(pulled, `${t.name}-${n}`)))));
      const bytes = (await Promise.all(names.map((n) => imageBytes(t, repo(n), 'latest')))).reduce((a, b) => a + b, 0);
      return { value: bytes / MiB / s, detail: { seconds: s, bytes } };
    }));
    await rm(pulled, { recursive: true, force: true });
    await mkdir(pulled, { recursive: true });
  }
}

// ---- docker --------------------------------------------------------------------------------

async function benchDocker(ctx: Ctx, skipReason: string | undefined): Promise<void> {
  const pushOne = newRow(ctx, 'docker_push_1', 'docker push, 1 client', 'MiB/s', 'higher');
  const pushMany = newRow(ctx, 'docker_push_8', `docker push, ${CFG.clients} clients (aggregate)`, 'MiB/s', 'higher');
  const pullOne = newRow(ctx, 'docker_pull_1', 'docker pull, 1 client', 'MiB/s', 'higher');
  const pullMany = newRow(ctx, 'docker_pull_8', `docker pull, ${CFG.clients} clients (aggregate)`, 'MiB/s', 'higher');
  const all = [pushOne, pushMany, pullOne, pullMany];
  if (skipReason) {
    for (const r of all) for (const t of ctx.targets) setCell(r, t, { error: `skipped: ${skipReason}` });
    return;
  }
  let dockerd: RunningDockerd | undefined;
  const base = join(ctx.work, 'dockerd');
  try {
    log('docker: starting a private dockerd and loading the images');
    dockerd = await startDockerd(base);
    const d = dockerd;
    const docker = (args: string[], timeoutMs = 300_000) => d.docker(args, { timeoutMs });
    const names = ['warm', ...Array.from({ length: CFG.singleReps }, (_, i) => SINGLE(i)), ...Array.from({ length: CFG.clients }, (_, i) => CONC(i))];
    const local = (n: string) => `bench-src/${n}:latest`;
    const remote = (t: Target, n: string) => `${t.host}/bench/docker-${n}:latest`;
    const repo = (n: string) => `bench/docker-${n}`;

    const loadAll = async () => {
      await mapLimit(names, 2, async (n) => {
        const img = ctx.images.get(n)!;
        const archive = join(ctx.work, 'archives', `${n}.tar`);
        await ociLayoutToDockerArchive(img.layoutDir, img.tag, archive, local(n));
        await docker(['load', '-q', '-i', archive]);
        await rm(archive, { force: true });
      });
    };
    const removeAllImages = async () => {
      const ids = [...new Set((await docker(['images', '-q', '--no-trunc'])).stdout.split('\n').map((s) => s.trim()).filter(Boolean))];
      if (ids.length) await docker(['rmi', '-f', ...ids]);
      const left = (await docker(['images', '-q'])).stdout.trim();
      if (left) throw new Error(`docker rmi left images behind: ${left}`);
    };
    const pushedDigest = (out: string) => /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
    await loadAll();

    // Push: every image is pushed to each registry (docker recompresses layers on every push, so
    // neither registry can benefit from the other having gone first).
    for (const t of ordered(ctx)) {
      log(`docker push -> ${t.name}`);
      for (const n of names) await docker(['tag', local(n), remote(t, n)]);
      await sync();
      const warm = await cell(`docker push warm-up to ${t.name}`, () => docker(['push', remote(t, 'warm')]).then(() => ({})));
      if (warm.error) {
        for (const r of all) setCell(r, t, warm);
        continue;
      }
      setCell(pushOne, t, await cell(`docker push 1 client to ${t.name}`, async () => {
        const rates: number[] = [];
        for (let i = 0; i < CFG.singleReps; i++) {
          await sync();
          const s = await timed(() => docker(['push', remote(t, SINGLE(i))]));
          rates.push((await imageBytes(t, repo(SINGLE(i)), 'latest')) / MiB / s);
        }
        return { value: median(rates), detail: { runsMiBps: rates } };
      }));
      setCell(pushMany, t, await cell(`docker push ${CFG.clients} clients to ${t.name}`, async () => {
        await sync();
        const conc = Array.from({ length: CFG.clients }, (_, i) => CONC(i));
        let digests: (string | undefined)[] = [];
        const s = await timed(async () => {
          digests = (await Promise.all(conc.map((n) => docker(['push', remote(t, n)])))).map((r) => pushedDigest(r.stdout));
        });
        if (digests.some((x) => !x)) throw new Error('a docker push printed no digest');
        const bytes = (await Promise.all(conc.map((n) => imageBytes(t, repo(n), 'latest')))).reduce((a, b) => a + b, 0);
        return { value: bytes / MiB / s, detail: { seconds: s, bytes } };
      }));
    }

    // Pull: nothing may be in the daemon's store, or docker would skip layers ("Already exists").
    await removeAllImages();
    const pull = async (t: Target, n: string) => {
      const { stdout } = await docker(['pull', remote(t, n)]);
      if (/Already exists/.test(stdout)) throw new Error(`docker pull ${remote(t, n)} reused local layers:\n${stdout}`);
    };
    for (const t of ordered(ctx)) {
      if ((t.name === 'stowage' ? pushMany.stowage : pushMany.distribution)?.error) {
        setCell(pullOne, t, { error: 'skipped: the push rows failed' });
        setCell(pullMany, t, { error: 'skipped: the push rows failed' });
        continue;
      }
      log(`docker pull <- ${t.name}`);
      await sync();
      await cell(`docker pull warm-up from ${t.name}`, () => pull(t, 'warm').then(() => ({})));
      await removeAllImages();
      setCell(pullOne, t, await cell(`docker pull 1 client from ${t.name}`, async () => {
        const rates: number[] = [];
        for (let i = 0; i < CFG.singleReps; i++) {
          await sync();
          const s = await timed(() => pull(t, SINGLE(i)));
          rates.push((await imageBytes(t, repo(SINGLE(i)), 'latest')) / MiB / s);
          await removeAllImages();
        }
        return { value: median(rates), detail: { runsMiBps: rates } };
      }));
      setCell(pullMany, t, await cell(`docker pull ${CFG.clients} clients from ${t.name}`, async () => {
        await sync();
        const conc = Array.from({ length: CFG.clients }, (_, i) => CONC(i));
        const s = await timed(() => Promise.all(conc.map((n) => pull(t, n))));
        const bytes = (await Promise.all(conc.map((n) => imageBytes(t, repo(n), 'latest')))).reduce((a, b) => a + b, 0);
        return { value: bytes / MiB / s, detail: { seconds: s, bytes } };
      }));
      await removeAllImages();
    }
  } catch (err) {
    log(`docker: FAILED: ${errText(err).split('\n')[0]}`);
    for (const r of all) {
      for (const t of ctx.targets) {
        const c = t.name === 'stowage' ? r.stowage : r.distribution;
        if (c?.error === 'not measured') setCell(r, t, { error: `docker setup failed: ${errText(err)}` });
      }
    }
  } finally {
    await dockerd?.stop().catch((err) => log(`dockerd stop: ${errText(err)}`));
    await unmountAllUnder(base);
  }
}

// ---- blob upload ---------------------------------------------------------------------------

async function benchBlobUpload(ctx: Ctx): Promise<void> {
  const row = newRow(ctx, 'blob_upload', `blob upload ${CFG.blobBytes / MiB} MiB, POST+PATCH+PUT`, 'MiB/s', 'higher');
  const blob = randomBytes(CFG.blobBytes);
  let n = 0;
  // A fresh digest for every upload, so no registry can take a shortcut for a blob it already has.
  const fresh = () => {
    randomBytes(32).copy(blob, 0);
    blob.writeUInt32BE(n++, 32);
    return sha256(blob);
  };
  for (const t of ordered(ctx)) {
    log(`blob upload -> ${t.name}`);
    setCell(row, t, await cell(`blob upload to ${t.name}`, async () => {
      await sync();
      await streamedBlobUpload(t.url, 'bench/blob', blob, fresh()); // warm-up
      const rates: number[] = [];
      const phases: UploadTiming[] = [];
      for (let i = 0; i < CFG.blobReps; i++) {
        const digest = fresh();
        await sync();
        const timing = await streamedBlobUpload(t.url, 'bench/blob', blob, digest);
        phases.push(timing);
        rates.push(CFG.blobBytes / MiB / timing.seconds);
      }
      return { value: median(rates), detail: { runsMiBps: rates, phases } };
    }));
  }
}

// ---- HTTP request rates --------------------------------------------------------------------

/**
 * Warm-up, then the measured run: wrk, except for HEAD (wrk and autocannon hang on keep-alive HEAD
 * responses that carry Content-Length; see rawload.ts), which uses rawload with the same
 * connection count and two load processes like wrk's two threads.
 */
async function loadCells(ctx: Ctx, t: Target, path: string, method: 'GET' | 'HEAD', headers: Record<string, string>): Promise<[Cell, Cell]> {
  const o = {
    url: `${t.url}${path}`,
    method,
    headers,
    connections: CFG.connections,
    threads: CFG.wrkThreads,
    scriptDir: ctx.work,
  };
  const load = (durationSec: number) =>
    method === 'HEAD'
      ? runRawLoad({ url: o.url, method, headers, connections: o.connections, processes: o.threads, durationSec })
      : runWrk({ ...o, durationSec });
  try {
    await load(CFG.warmSeconds);
    const r = await load(CFG.httpSeconds);
    const bad = r.non2xx + r.socketErrors;
    if (r.requests === 0 || bad > 0) {
      const msg = `${method} ${path}: ${r.requests} requests, ${r.non2xx} non-2xx/3xx, ${r.socketErrors} socket errors`;
      if (r.requests === 0 || bad > r.requests * 0.001) return [{ error: msg, detail: { ...r } }, { error: msg, detail: { ...r } }];
      log(`warning: ${msg}`);
    }
    const tool = method === 'HEAD' ? 'rawload' : 'wrk';
    return [{ value: r.reqPerSec, detail: { tool, ...r } }, { value: r.p99Ms, detail: { tool, p50Ms: r.p50Ms, maxMs: r.maxMs } }];
  } catch (err) {
    return [{ error: errText(err) }, { error: errText(err) }];
  }
}

async function benchManifests(ctx: Ctx): Promise<void> {
  const conn = `${CFG.connections} conns, ${CFG.httpSeconds} s`;
  const headRps = newRow(ctx, 'manifest_head_rps', `manifest HEAD by tag (${conn})`, 'req/s', 'higher');
  const headP99 = newRow(ctx, 'manifest_head_p99', 'manifest HEAD by tag, p99 latency', 'ms', 'lower');
  const getRps = newRow(ctx, 'manifest_get_rps', `manifest GET by tag (${conn})`, 'req/s', 'higher');
  const getP99 = newRow(ctx, 'manifest_get_p99', 'manifest GET by tag, p99 latency', 'ms', 'lower');
  const path = '/v2/bench/skopeo-s1/manifests/latest';
  for (const t of ordered(ctx)) {
    log(`manifest HEAD/GET -> ${t.name}`);
    const probe = await request('GET', `${t.url}${path}`, { headers: { accept: MANIFEST_ACCEPT } }).catch((e: unknown) => ({ status: 0, body: Buffer.from(errText(e)) }));
    if (probe.status !== 200) {
      const c = { error: `GET ${path}: HTTP ${probe.status} ${probe.body.toString('utf8').slice(0, 300)}` };
      for (const r of [headRps, headP99, getRps, getP99]) setCell(r, t, c);
      continue;
    }
    const [hr, hp] = await loadCells(ctx, t, path, 'HEAD', { Accept: MANIFEST_ACCEPT });
    setCell(headRps, t, hr);
    setCell(headP99, t, hp);
    const [gr, gp] = await loadCells(ctx, t, path, 'GET', { Accept: MANIFEST_ACCEPT });
    setCell(getRps, t, gr);
    setCell(getP99, t, gp);
  }
}

async function benchTags(ctx: Ctx): Promise<void> {
  const conn = `${CFG.connections} conns, ${CFG.httpSeconds} s`;
  const rps = newRow(ctx, 'tags_list_rps', `tags list, ${CFG.tagCount} tags (${conn})`, 'req/s', 'higher');
  const p99 = newRow(ctx, 'tags_list_p99', `tags list, ${CFG.tagCount} tags, p99 latency`, 'ms', 'lower');
  const repo = 'bench/tags';
  const path = `/v2/${repo}/tags/list`;
  for (const t of ordered(ctx)) {
    log(`tags list -> ${t.name} (creating ${CFG.tagCount} tags)`);
    try {
      const s = await timed(() => createManyTags(t.url, repo, CFG.tagCount));
      log(`  ${CFG.tagCount} tags created in ${s.toFixed(1)} s`);
      const r = await getJson(`${t.url}${path}`);
      const tags = (r.json as { tags?: unknown[] } | undefined)?.tags ?? [];
      if (r.status !== 200 || tags.length !== CFG.tagCount || r.headers.link) {
        throw new Error(`GET ${path}: HTTP ${r.status}, ${tags.length} tags, link=${String(r.headers.link)}; expected all ${CFG.tagCount} tags in one response`);
      }
    } catch (err) {
      const c = { error: errText(err) };
      setCell(rps, t, c);
      setCell(p99, t, c);
      continue;
    }
    const [r, p] = await loadCells(ctx, t, path, 'GET', {});
    setCell(rps, t, r);
    setCell(p99, t, p);
  }
}

// ---------------------------------------------------------------------------------------------

async function buildImages(ctx: Ctx): Promise<void> {
  const names = ['warm', ...Array.from({ length: CFG.singleReps }, (_, i) => SINGLE(i)), ...Array.from({ length: CFG.clients }, (_, i) => CONC(i))];
  log(`building ${names.length} test images (${CFG.layers} layers x ${CFG.layerBytes / MiB} MiB random, umoci)`);
  await mapLimit(names, 2, async (n) => {
    ctx.images.set(n, await buildTestImage(join(ctx.work, 'images', n), { layers: CFG.layers, layerSizeBytes: CFG.layerBytes, tag: 'latest' }));
  });
}

async function main(): Promise<void> {
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
  const ctx: Ctx = { work, targets: [], images: new Map(), rows: [], scenario: 0 };
  const serverStats: Record<string, unknown> = {};
  try {
    await buildImages(ctx);
    ctx.targets.push(await startStowageProcess(join(work, 'stowage')));
    if (haveDistribution) ctx.targets.push(await startDistributionProcess(join(work, 'distribution')));
    for (const t of ctx.targets) log(`${t.name} at ${t.url} (pid ${t.pid})`);

    await benchSkopeo(ctx);
    await benchDocker(ctx, dockerSkip);
    await benchBlobUpload(ctx);
    await benchManifests(ctx);
    await benchTags(ctx);

    for (const t of ctx.targets) serverStats[t.name] = await processStats(t.pid);
  } finally {
    closeAgent();
    for (const t of ctx.targets) await t.stop().catch((err) => log(`stopping ${t.name}: ${errText(err)}`));
    // Errors logged by the servers are worth seeing.
    for (const t of ctx.targets) {
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

  const totalSeconds = elapsed();
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
    `  HTTP rows: ${CFG.warmSeconds} s warm-up, then ${CFG.httpSeconds} s with ${CFG.connections} keep-alive connections; GET rows with wrk -t${CFG.wrkThreads},`,
    `  HEAD rows with bench/rawload.ts (${CFG.wrkThreads} processes; wrk and autocannon cannot do keep-alive HEAD).`,
    '',
    formatTable(ctx.rows),
  );
  const errors = formatErrors(ctx.rows);
  if (errors.length) out.push('', 'Errors / skipped:', ...errors.map((e) => `  ${e}`));
  for (const [name, s] of Object.entries(serverStats)) {
    const st = s as { peakRssMiB: number; cpuSeconds: number } | undefined;
    if (st) out.push(`  ${name}: peak RSS ${st.peakRssMiB.toFixed(0)} MiB, CPU ${st.cpuSeconds.toFixed(1)} s over the run`);
  }
  out.push(`  total bench time ${totalSeconds.toFixed(0)} s`, '');
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
    rows: ctx.rows.map((r) => ({ ...r, ratio: ratioOf(r) ?? null })),
  };
  await writeFile(join(resultsDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${join(resultsDir, 'results.json')}`);
  if (ctx.rows.some((r) => r.stowage.error !== undefined && !r.stowage.error.startsWith('skipped'))) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
