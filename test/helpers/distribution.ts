// Debian's docker-registry (CNCF distribution 2.8) as a reference registry: a baseline for benchmarks
// and a way to check e2e tests and helpers independently of Stowage. Not a test oracle.
// Everything lives under baseDir: config.yml, data/ (filesystem storage), registry.log.
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { delay, readLogTail, startDaemon, waitForDaemon, type Daemon } from './exec.js';

export interface RunningDistribution {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** host:port */
  host: string;
  dataDir: string;
  logFile: string;
  /** The daemon's process id (for resource accounting). */
  pid: number;
  stop(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the caller should retry on EADDRINUSE). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

function configYaml(dataDir: string, port: number): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(dataDir)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    '',
  ].join('\n');
}

export async function startDistribution(
  baseDir: string,
  opts: { startTimeoutMs?: number /** Replaces the default config (e.g. the benchmark's quieter one). */; configYaml?: (dataDir: string, port: number) => string } = {},
): Promise<RunningDistribution> {
  const dataDir = join(baseDir, 'data');
  const configFile = join(baseDir, 'config.yml');
  const logFile = join(baseDir, 'registry.log');
  await mkdir(dataDir, { recursive: true });
  // REGISTRY_* variables override the config file; do not let the environment change it.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('REGISTRY_')) env[k] = v;

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    await writeFile(configFile, (opts.configYaml ?? configYaml)(dataDir, port));
    const url = `http://127.0.0.1:${port}`;
    const daemon: Daemon = await startDaemon('docker-registry', ['serve', configFile], { logFile, env });
    try {
      await waitForDaemon(
        'docker-registry',
        daemon,
        async () => {
          const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) });
          await res.arrayBuffer();
          // Guard against a different server having grabbed the port.
          return res.status === 200 && res.headers.get('docker-distribution-api-version') === 'registry/2.0';
        },
        { timeoutMs: opts.startTimeoutMs ?? 20_000, intervalMs: 100 },
      );
      return { url, host: `127.0.0.1:${port}`, dataDir, logFile, pid: daemon.pid, stop: () => daemon.stop(10_000) };
    } catch (err) {
      lastError = err;
      await daemon.stop(5_000);
      if (!/address already in use/.test(await readLogTail(logFile))) break;
      await delay(100);
    }
  }
  throw lastError;
}
