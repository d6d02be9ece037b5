// Collection rows (issue 10, item 8): the time and peak RSS of one garbage collection of a store
// of 10,000 manifests and 50,000 blobs, Stowage beside distribution 2.8 on the same images.
//
// Each registry gets a fresh server and data directory. The same synthetic images go into both
// over the OCI API (monolithic blob uploads, manifest PUT by tag): `repositories` x `perRepository`
// images of a config and 4 layers, every blob a few hundred random bytes and used by one image
// only. Then every second image is DELETEd by digest, so half the blobs are garbage. Then:
//   - Stowage, online: `node bin/stowage.js gc --json --grace 0s --data-dir DIR` beside the running
//     server (what an operator runs, node start-up included);
//   - distribution, offline as it must be: the server is stopped, then
//     `docker-registry garbage-collect CONFIG` (untagged manifests are kept: no --delete-untagged).
// Both run under /usr/bin/time (peak RSS of the command's process) and are timed from spawn to exit.
// A row cannot pass on a no-op: Stowage's report must name exactly the deleted images' blobs and
// bytes, both stores are counted on disk before and after, and the live images are read back.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { drainGet, MANIFEST_ACCEPT, monolithicBlobUpload, OCI_MANIFEST, putManifest, request, sha256 } from './http.js';
import { summaryOf } from './goals.js';
import { formatErrors, formatTable, type Cell, type Row } from './report.js';
import { processStats, repoRoot, startDistributionProcess, startStowageProcess, type RegistryTarget, type Target } from './targets.js';
import { timed } from './timed.js';

export interface GcSizes {
  repositories: number;
  perRepository: number;
  /** Layers per image (each image also has its config blob). */
  layers: number;
  /** Images pushed (and deleted) at once. */
  concurrency: number;
}

/** The issue's store: 10,000 manifests, 50,000 blobs. `quick` checks the bench itself. */
export function gcSizes(quick: boolean): GcSizes {
  return quick ? { repositories: 10, perRepository: 100, layers: 4, concurrency: 24 } : { repositories: 100, perRepository: 100, layers: 4, concurrency: 24 };
}

interface Blob {
  digest: string;
  bytes: Buffer;
}

interface Image {
  repository: string;
  tag: string;
  blobs: Blob[];
  manifest: Buffer;
  digest: string;
  /** Deleted before the sweep: its blobs are the garbage. */
  garbage: boolean;
}

/** The images both registries receive: distinct random blobs of 200-800 bytes, configs naming their layers. */
export function makeImages(s: GcSizes): Image[] {
  const images: Image[] = [];
  for (let r = 0; r < s.repositories; r++) {
    for (let i = 0; i < s.perRepository; i++) {
      const layers = Array.from({ length: s.layers }, () => {
        const bytes = randomBytes(200 + Math.floor(Math.random() * 600));
        return { digest: sha256(bytes), bytes };
      });
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          config: { Labels: { 'bench.gc': `${r}/${i}` } },
          rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
        }),
      );
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
          layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.bytes.length })),
        }),
      );
      images.push({
        repository: `bench/gc-${String(r).padStart(3, '0')}`,
        tag: `v${i}`,
        blobs: [{ digest: sha256(config), bytes: config }, ...layers],
        manifest,
        digest: sha256(manifest),
        garbage: i % 2 === 1,
      });
    }
  }
  return images;
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export async function fill(t: Target, images: readonly Image[], concurrency: number): Promise<void> {
  await mapLimit(images, concurrency, async (img) => {
    await Promise.all(img.blobs.map((b) => monolithicBlobUpload(t.url, img.repository, b.bytes)));
    await putManifest(t.url, img.repository, img.tag, img.manifest, OCI_MANIFEST);
  });
}

export async function deleteGarbage(t: Target, images: readonly Image[], concurrency: number): Promise<void> {
  await mapLimit(
    images.filter((i) => i.garbage),
    concurrency,
    async (img) => {
      const r = await request('DELETE', `${t.url}/v2/${img.repository}/manifests/${img.digest}`);
      if (r.status !== 202) throw new Error(`DELETE ${img.repository}@${img.digest} on ${t.name}: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
    },
  );
}

/** Content files on disk and their bytes (Stowage: blobs/<alg>/<hh>/<hex>; distribution: .../blobs/<alg>/<hh>/<hex>/data). */
async function countFiles(dir: string, name?: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && (name === undefined || e.name === name)) {
        files++;
        bytes += (await stat(p)).size;
      }
    }
  };
  await walk(dir);
  return { files, bytes };
}

interface Measured {
  seconds: number;
  peakRssMiB: number;
  stdout: string;
}

/**
 * Runs `cmd args` under /usr/bin/time (which reports the peak RSS of the process it runs), stdout
 * and stderr into files (distribution prints a line per blob; a pipe into this process would
 * make the bench's own event loop part of the measurement). Seconds from spawn to exit.
 */
async function measure(cmd: string, args: string[], dir: string, label: string): Promise<Measured> {
  const timeFile = join(dir, `${label}.time`);
  const outFile = join(dir, `${label}.out`);
  const errFile = join(dir, `${label}.err`);
  const out = await open(outFile, 'w');
  const err = await open(errFile, 'w');
  const t0 = process.hrtime.bigint();
  let code: number | null;
  try {
    code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, cmd, ...args], { stdio: ['ignore', out.fd, err.fd] });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    });
  } finally {
    await out.close();
    await err.close();
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const stdout = await readFile(outFile, 'utf8');
  if (code !== 0) {
    const stderr = await readFile(errFile, 'utf8');
    throw new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${stderr.slice(-1000)}${stdout.slice(-500)}`);
  }
  const kb = Number((await readFile(timeFile, 'utf8')).trim().split('\n').at(-1));
  if (!Number.isFinite(kb) || kb <= 0) throw new Error(`/usr/bin/time gave no peak RSS for ${cmd}`);
  return { seconds, peakRssMiB: kb / 1024, stdout };
}

/** Every blob of a sample of live images reads back whole; a sample of garbage blobs is gone. */
async function checkAfter(t: Target, images: readonly Image[]): Promise<void> {
  const live = images.filter((i) => !i.garbage);
  const gone = images.filter((i) => i.garbage);
  const step = Math.max(1, Math.floor(live.length / 50));
  for (let k = 0; k < live.length; k += step) {
    const img = live[k]!;
    const m = await request('GET', `${t.url}/v2/${img.repository}/manifests/${img.tag}`, { headers: { accept: MANIFEST_ACCEPT } });
    if (m.status !== 200 || sha256(m.body) !== img.digest) throw new Error(`after the sweep ${img.repository}:${img.tag} on ${t.name}: HTTP ${m.status}`);
    for (const b of img.blobs) {
      const r = await drainGet(`${t.url}/v2/${img.repository}/blobs/${b.digest}`);
      if (r.status !== 200 || r.bytes !== b.bytes.length) throw new Error(`after the sweep a live blob of ${img.repository} on ${t.name}: HTTP ${r.status}, ${r.bytes} bytes`);
    }
  }
  for (let k = 0; k < gone.length; k += step) {
    const img = gone[k]!;
    const r = await request('HEAD', `${t.url}/v2/${img.repository}/blobs/${img.blobs[1]!.digest}`);
    if (r.status !== 404) throw new Error(`after the sweep a deleted image's blob on ${t.name}: HTTP ${r.status}, expected 404`);
  }
}

interface Outcome {
  seconds: number;
  peakRssMiB: number;
  detail: Record<string, unknown>;
}

type Log = (msg: string) => void;

/** Online: `stowage gc` on the data directory of the running server `t`, then the checks. */
async function collectStowage(t: Target, base: string, images: readonly Image[]): Promise<Outcome> {
  const dataDir = join(base, 'data'); // startStowageProcess serves base/data
  const before = await countFiles(join(dataDir, 'blobs'));
  const serverBefore = await processStats(t.pid);
  const run = await measure(process.execPath, [join(repoRoot(), 'bin', 'stowage.js'), 'gc', '--json', '--grace', '0s', '--data-dir', dataDir], base, 'gc');
  const serverAfter = await processStats(t.pid);
  const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number | boolean>;
  const after = await countFiles(join(dataDir, 'blobs'));
  const garbage = images.filter((i) => i.garbage).flatMap((i) => i.blobs);
  const garbageBytes = garbage.reduce((n, b) => n + b.bytes.length, 0);
  const got = `blobsDeleted ${report.blobsDeleted}, bytesFreed ${report.bytesFreed}, linksRemoved ${report.linksRemoved}, complete ${report.complete}`;
  if (report.blobsDeleted !== garbage.length || report.bytesFreed !== garbageBytes || report.linksRemoved !== garbage.length || report.complete !== true) {
    throw new Error(`stowage gc reported ${got}; expected ${garbage.length} blobs, ${garbageBytes} bytes, ${garbage.length} links`);
  }
  if (before.files - after.files !== garbage.length || before.bytes - after.bytes !== garbageBytes) {
    throw new Error(
      `stowage gc: ${before.files} -> ${after.files} blob files (${before.bytes} -> ${after.bytes} bytes); expected ${garbage.length} files, ${garbageBytes} bytes fewer`,
    );
  }
  await checkAfter(t, images);
  return {
    seconds: run.seconds,
    peakRssMiB: run.peakRssMiB,
    detail: {
      report,
      filesBefore: before.files,
      filesAfter: after.files,
      bytesFreedOnDisk: before.bytes - after.bytes,
      serverCpuSecondsDuringSweep: serverAfter && serverBefore ? serverAfter.cpuSeconds - serverBefore.cpuSeconds : null,
    },
  };
}

/** Offline (the server already stopped): `docker-registry garbage-collect`, then the checks. */
async function collectDistribution(base: string, images: readonly Image[]): Promise<Outcome> {
  // startDistribution keeps config.yml and data/ under its base directory (test/helpers/distribution.ts).
  const blobsDir = join(base, 'data', 'docker', 'registry', 'v2', 'blobs');
  const before = await countFiles(blobsDir, 'data');
  // No --delete-untagged: like Stowage's sweep, only content no manifest references goes.
  const run = await measure('docker-registry', ['garbage-collect', join(base, 'config.yml')], base, 'gc');
  const after = await countFiles(blobsDir, 'data');
  const garbage = images.filter((i) => i.garbage);
  const garbageBlobs = garbage.flatMap((i) => i.blobs);
  const garbageBytes = garbageBlobs.reduce((n, b) => n + b.bytes.length, 0);
  const manifestBytes = garbage.reduce((n, i) => n + i.manifest.length, 0);
  // distribution keeps manifests as blobs too: a deleted image frees its manifest's file as well.
  const expectedFiles = garbageBlobs.length + garbage.length;
  if (before.files - after.files !== expectedFiles || before.bytes - after.bytes !== garbageBytes + manifestBytes) {
    throw new Error(
      `docker-registry garbage-collect: ${before.files} -> ${after.files} blob files (${before.bytes} -> ${after.bytes} bytes); expected ${expectedFiles} files, ${garbageBytes + manifestBytes} bytes fewer`,
    );
  }
  // Served again to read the live images back.
  const again = await startDistributionProcess(base);
  try {
    await checkAfter(again, images);
  } finally {
    await again.stop();
  }
  return {
    seconds: run.seconds,
    peakRssMiB: run.peakRssMiB,
    detail: {
      filesBefore: before.files,
      filesAfter: after.files,
      bytesFreedOnDisk: before.bytes - after.bytes,
      manifestBytesFreed: manifestBytes,
      eligibleLines: (run.stdout.match(/eligible for deletion/g) ?? []).length,
    },
  };
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * `--gc-store=DIR` (BENCH_GC_STORE): keep the filled stores (both data directories after the fill
 * and the deletes, and the images) in DIR, and on later runs of the same size start from copies
 * of them instead of filling again (the fill takes most of the time). Every run, first or later,
 * sweeps fresh `cp -a` copies of the same filled stores, both registries alike: Stowage's server
 * started on its copy (online), distribution's started on its copy and stopped (offline).
 */
export function gcStoreDir(): string | undefined {
  const raw = process.argv.find((a) => a.startsWith('--gc-store='))?.slice('--gc-store='.length) ?? process.env.BENCH_GC_STORE;
  return raw === undefined || raw.trim() === '' ? undefined : raw;
}

const copyTree = (from: string, to: string) => promisify(execFile)('cp', ['-a', from, to]);

interface StoredImage {
  repository: string;
  tag: string;
  blobs: string[];
  manifest: string;
  garbage: boolean;
}

async function saveStore(dir: string, s: GcSizes, images: readonly Image[], bases: Record<string, string>): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [name, base] of Object.entries(bases)) await copyTree(join(base, 'data'), join(dir, name));
  const stored: StoredImage[] = images.map((i) => ({
    repository: i.repository,
    tag: i.tag,
    blobs: i.blobs.map((b) => b.bytes.toString('base64')),
    manifest: i.manifest.toString('base64'),
    garbage: i.garbage,
  }));
  // Written last: a store without it is an interrupted save, filled again.
  await writeFile(join(dir, 'images.json'), JSON.stringify({ sizes: s, registries: Object.keys(bases), images: stored }));
}

async function loadStore(dir: string, s: GcSizes): Promise<{ images: Image[]; registries: string[] } | undefined> {
  const text = await readFile(join(dir, 'images.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const saved = JSON.parse(text) as { sizes: GcSizes; registries: string[]; images: StoredImage[] };
  if (JSON.stringify(saved.sizes) !== JSON.stringify(s)) return undefined;
  const images = saved.images.map((i) => {
    const manifest = Buffer.from(i.manifest, 'base64');
    const blobs = i.blobs.map((b) => {
      const bytes = Buffer.from(b, 'base64');
      return { digest: sha256(bytes), bytes };
    });
    return { repository: i.repository, tag: i.tag, blobs, manifest, digest: sha256(manifest), garbage: i.garbage };
  });
  return { images, registries: saved.registries };
}

/** A fresh copy of a saved store's data directory as `base`/data. */
async function restoreStore(dir: string, name: string, base: string): Promise<void> {
  await rm(base, { recursive: true, force: true });
  await mkdir(base, { recursive: true });
  await copyTree(join(dir, name), join(base, 'data'));
  // Written back to disk before anything is measured: a sweep's first fsync would otherwise wait for the copy.
  await promisify(execFile)('sync', []);
}

/**
 * The two collection rows, `gc_sweep_s` and `gc_peak_rss`. Fresh servers under `work`; the
 * distribution column only with `withDistribution`. A failure becomes the error of both cells.
 */
export async function benchGc(opts: { work: string; quick: boolean; withDistribution: boolean; log: Log }): Promise<Row[]> {
  const s = gcSizes(opts.quick);
  const manifests = s.repositories * s.perRepository;
  const blobs = manifests * (s.layers + 1);
  const sweep: Row = {
    id: 'gc_sweep_s',
    label: `garbage collection, ${manifests.toLocaleString('en')} manifests / ${blobs.toLocaleString('en')} blobs, half deleted (Stowage online)`,
    unit: 's',
    better: 'lower',
    stowage: { error: 'not measured' },
  };
  const rss: Row = { id: 'gc_peak_rss', label: 'peak RSS of that garbage collection', unit: 'MiB', better: 'lower', stowage: { error: 'not measured' } };
  const set = (name: 'stowage' | 'distribution', a: Cell, b: Cell) => {
    sweep[name] = a;
    rss[name] = b;
  };
  if (opts.withDistribution) set('distribution', { error: 'not measured' }, { error: 'not measured' });
  if (!(await stat('/usr/bin/time').catch(() => null))) {
    const c = { error: 'skipped: /usr/bin/time not installed (apt-get install -y time)' };
    set('stowage', c, c);
    if (opts.withDistribution) set('distribution', c, c);
    return [sweep, rss];
  }
  const store = gcStoreDir();
  const saved = store === undefined ? undefined : await loadStore(store, s);
  const reuse = saved !== undefined && (!opts.withDistribution || saved.registries.includes('distribution'));
  opts.log(
    reuse
      ? `garbage collection: ${manifests} images (${blobs} blobs), every second one deleted: fresh copies of the stores filled in ${store}`
      : `garbage collection: ${manifests} images (${blobs} blobs) into each registry, every second one deleted`,
  );
  const images = reuse ? saved.images : makeImages(s);
  const base = (name: string) => join(opts.work, `gc-${name}`);
  const fail = (name: 'stowage' | 'distribution', what: string, err: unknown) => {
    opts.log(`FAILED: garbage collection on ${name}: ${what}: ${errText(err).split('\n')[0]}`);
    const c = { error: `${what}: ${errText(err)}` };
    set(name, c, c);
  };
  const record = (name: 'stowage' | 'distribution', o: Outcome, fillSeconds: number | null) => {
    opts.log(`  ${name}: sweep ${o.seconds.toFixed(2)} s, peak RSS ${o.peakRssMiB.toFixed(0)} MiB`);
    set(name, { value: o.seconds, detail: { fillSeconds, ...o.detail } }, { value: o.peakRssMiB });
  };
  const targets: RegistryTarget[] = [];
  const startAll = async () => {
    // A restarted server appends to its log, where startStowageProcess looks for the URL it listens on.
    await rm(join(base('stowage'), 'stowage.log'), { force: true });
    targets.push(await startStowageProcess(base('stowage')));
    if (opts.withDistribution) targets.push(await startDistributionProcess(base('distribution')));
  };
  try {
    let filled: (number | null | undefined)[];
    if (reuse) {
      await restoreStore(store!, 'stowage', base('stowage'));
      if (opts.withDistribution) await restoreStore(store!, 'distribution', base('distribution'));
      await startAll();
      filled = targets.map(() => null);
    } else {
      await startAll();
      // Both fills at once: neither is measured, and on a shared machine this halves the wait.
      filled = await Promise.all(
        targets.map(async (t) => {
          try {
            const seconds = await timed(async () => {
              await fill(t, images, s.concurrency);
              await deleteGarbage(t, images, s.concurrency);
            });
            opts.log(`  ${t.name}: ${images.length} images pushed and ${images.length / 2} deleted in ${seconds.toFixed(1)} s`);
            return seconds;
          } catch (err) {
            fail(t.name, 'filling', err);
            return undefined;
          }
        }),
      );
      if (store !== undefined && filled.every((f) => f !== undefined)) {
        // Saved stopped (SQLite closed, WAL checkpointed), then both served again as a reuse would.
        for (const t of targets.splice(0)) await t.stop();
        await saveStore(store, s, images, Object.fromEntries(['stowage', ...(opts.withDistribution ? ['distribution'] : [])].map((n) => [n, base(n)])));
        opts.log(`  filled stores saved in ${store}`);
        await startAll();
      }
    }
    // distribution's collector is offline by design: its server stops before either sweep runs.
    const dist = targets.find((t) => t.name === 'distribution');
    if (dist) await dist.stop();
    const stowage = targets[0]!;
    if (filled[0] !== undefined) {
      opts.log('  stowage: stowage gc beside the running server');
      await collectStowage(stowage, base('stowage'), images).then(
        (o) => record('stowage', o, filled[0] ?? null),
        (err: unknown) => fail('stowage', 'collecting', err),
      );
    }
    await stowage.stop();
    targets.length = 0;
    if (dist && filled[1] !== undefined) {
      opts.log('  distribution: docker-registry garbage-collect');
      await collectDistribution(base('distribution'), images).then(
        (o) => record('distribution', o, filled[1] ?? null),
        (err: unknown) => fail('distribution', 'collecting', err),
      );
    }
  } catch (err) {
    for (const name of ['stowage', 'distribution'] as const) if (sweep[name]?.error === 'not measured') fail(name, 'starting', err);
  } finally {
    for (const t of targets) await t.stop().catch(() => {});
    for (const name of ['stowage', 'distribution']) await rm(base(name), { recursive: true, force: true }).catch(() => {});
  }
  return [sweep, rss];
}

/**
 * `--only=gc` (BENCH_ONLY=gc): the collection rows alone (a few minutes rather than the whole
 * bench); they replace the same rows in .bench/results.json, the rest of it is kept.
 */
export async function runGcOnly(opts: { quick: boolean; withDistribution: boolean; log: Log }): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'stowage-bench-gc-'));
  let rows: Row[];
  try {
    rows = await benchGc({ ...opts, work });
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => {});
  }
  const summary = summaryOf(rows);
  process.stdout.write(`\n${formatTable(rows, new Map(summary.map((e) => [e.id, e])))}\n`);
  const errors = formatErrors(rows);
  if (errors.length) process.stdout.write(`\nErrors:\n${errors.map((e) => `  ${e}`).join('\n')}\n`);
  const file = join(repoRoot(), '.bench', 'results.json');
  const previous = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as { rows?: Row[]; table?: { id: string }[] };
  const ids = new Set(rows.map((r) => r.id));
  const merged = {
    ...previous,
    table: [...(previous.table ?? []).filter((e) => !ids.has(e.id)), ...summary],
    rows: [...(previous.rows ?? []).filter((r) => !ids.has(r.id)), ...rows.map((r) => ({ ...r, ratio: summary.find((e) => e.id === r.id)?.ratio ?? null }))],
  };
  await mkdir(join(repoRoot(), '.bench'), { recursive: true });
  await writeFile(file, JSON.stringify(merged, null, 2) + '\n');
  opts.log(`wrote ${[...ids].join(', ')} into ${file}`);
  if (rows.some((r) => r.stowage.error !== undefined)) process.exitCode = 1;
}
