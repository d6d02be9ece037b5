// The two registries the benchmark compares, each as its own OS process so that the load generators
// (skopeo, docker, wrk, the Node upload client in the bench process) never share an event loop with
// the server under test:
//   - Stowage: `node bin/stowage.js serve` (embedded default: filesystem blobs + SQLite metadata),
//     at log level warn: no line per request, as distribution's access log is off.
//   - distribution 2.8 (Debian's docker-registry) with an equivalent configuration: filesystem storage,
//     delete enabled, 127.0.0.1, no auth, log level warn and the access log off.
// test/helpers/distribution.ts starts docker-registry at log level info with the access log on, which
// is right for debugging tests but would make a benchmark measure logging, hence our own config here.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon, waitForDaemon, type Daemon } from '../test/helpers/exec.js';
import { startDistribution } from '../test/helpers/distribution.js';

export interface Target {
  /** `null`: the null registry of the ceiling rows (bench/null-registry.ts), not a registry under test. */
  name: 'stowage' | 'distribution' | 'null';
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT, for image references */
  host: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

/** One of the two registries under test. */
export type RegistryTarget = Target & { name: 'stowage' | 'distribution' };

/** Repository root (bench/ compiles to dist/bench/, so the root is two or three levels up). */
export function repoRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  // dist/bench/ -> repo root
  return resolve(here, '..', '..');
}

async function pingOk(url: string, expectHeader = true): Promise<boolean> {
  const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status === 200 && (!expectHeader || res.headers.get('docker-distribution-api-version') === 'registry/2.0');
}

/**
 * Waits until a node server started on port 0 has logged `listening on http://127.0.0.1:PORT` and
 * answers `GET /v2/` (with distribution's API-version header when `expectHeader`); returns its URL.
 * Stops the daemon when it never gets there.
 */
export async function waitForLoggedUrl(name: string, daemon: Daemon, logFile: string, expectHeader = true): Promise<string> {
  let url = '';
  try {
    await waitForDaemon(
      name,
      daemon,
      async () => {
        if (!url) {
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(await readFile(logFile, 'utf8'));
          if (!m) return false;
          url = m[1]!;
        }
        return pingOk(url, expectHeader);
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (err) {
    await daemon.stop(5_000);
    throw err;
  }
  return url;
}

export async function startStowageProcess(baseDir: string): Promise<RegistryTarget> {
  const dataDir = join(baseDir, 'data');
  const logFile = join(baseDir, 'stowage.log');
  await mkdir(dataDir, { recursive: true });
  const bin = join(repoRoot(), 'bin', 'stowage.js');
  const daemon: Daemon = await startDaemon(process.execPath, [bin, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { logFile });
  const url = await waitForLoggedUrl('stowage', daemon, logFile);
  return {
    name: 'stowage',
    url,
    host: new URL(url).host,
    pid: daemon.pid,
    logFile,
    stop: () => daemon.stop(15_000),
  };
}

function distributionConfig(dataDir: string, port: number): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  formatter: text',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(dataDir)}`,
    '  delete:',
    '    enabled: true',
    // The shipped and upstream example configs both keep blob descriptors in an in-memory cache.
    '  cache:',
    '    blobdescriptor: inmemory',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    // Set, so distribution does not warn about generating one (it would generate a random one too).
    `  secret: ${randomBytes(16).toString('hex')}`,
    '',
  ].join('\n');
}

export async function startDistributionProcess(baseDir: string): Promise<RegistryTarget> {
  const d = await startDistribution(baseDir, { configYaml: distributionConfig });
  return { name: 'distribution', url: d.url, host: d.host, pid: d.pid, logFile: d.logFile, stop: d.stop };
}

/** Peak resident set size (VmHWM) and CPU seconds (user+system) of a process, from /proc. */
export async function processStats(pid: number): Promise<{ peakRssMiB: number; cpuSeconds: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which is in parentheses and may contain spaces).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]); // utime, stime (fields 14 and 15)
    return { peakRssMiB: hwm ? Number(hwm[1]) / 1024 : NaN, cpuSeconds: ticks / 100 };
  } catch {
    return undefined;
  }
}
