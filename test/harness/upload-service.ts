/**
 * Starts the upload service as the stack deploys it: the task definition's container
 * environment (bucket and table names resolved to the emulators'), run by `stowage serve` in a
 * worker thread (./upload-service-worker.ts), healthy once the target group's health check path
 * answers one of its healthy codes. Two local adaptations, both visible here: the container's
 * address becomes a free loopback port (the template's 0.0.0.0:5000), and its data directory a
 * temp dir. Before that, the environment is checked exactly as the container would see it
 * (`stowage serve`'s own config validation, with the template's host): a container that would
 * refuse to start on AWS is reported as a problem.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseServeConfig } from '../../src/config.js';
import type { UploadServiceModel } from './front-door-model.js';

export interface RunningUploadService {
  url: string;
  /** Problems the container would have on AWS (it still runs here, on loopback). */
  problems: string[];
  close(): Promise<void>;
}

export interface UploadServiceOptions {
  model: UploadServiceModel;
  /** The container's environment as deployed (the template's, resolved): checked, not run. */
  deployedEnvironment: Record<string, string> | undefined;
  /** The environment it runs with here (the harness's overrides applied). */
  environment: Record<string, string>;
  dataDir: string;
  /** A file for the container's output, or 'inherit' / 'silent'. */
  logs: string | 'inherit' | 'silent';
  startTimeoutMs?: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether `stowage serve` would start with this environment (its own validation). */
export function serveConfigProblem(env: Record<string, string>): string | undefined {
  try {
    parseServeConfig([], env);
    return undefined;
  } catch (err) {
    return `the upload service's container would not start on AWS: stowage serve says "${(err as Error).message}"`;
  }
}

export async function startUploadService(options: UploadServiceOptions): Promise<RunningUploadService> {
  const problems: string[] = [];
  const problem = options.deployedEnvironment && serveConfigProblem(options.deployedEnvironment);
  if (problem) problems.push(problem);

  const dataDir = join(options.dataDir, 'upload-service');
  await mkdir(dataDir, { recursive: true });
  const port = await freePort();
  const env = { ...options.environment, STOWAGE_HOST: '127.0.0.1', STOWAGE_PORT: String(port), STOWAGE_DATA_DIR: dataDir };
  const worker = new Worker(new URL('./upload-service-worker.js', import.meta.url), { env, stdout: true, stderr: true });
  let output = '';
  const capture = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  worker.stdout.on('data', capture);
  worker.stderr.on('data', capture);
  if (options.logs === 'inherit') {
    worker.stdout.pipe(process.stdout, { end: false });
    worker.stderr.pipe(process.stderr, { end: false });
  } else if (options.logs !== 'silent') {
    const file = createWriteStream(options.logs, { flags: 'a' });
    worker.stdout.pipe(file, { end: false });
    worker.stderr.pipe(file, { end: false });
    worker.once('exit', () => file.end());
  }
  let exited: Error | undefined;
  worker.once('error', (err) => (exited = err));
  worker.once('exit', (code) => (exited ??= new Error(`exited with code ${code}`)));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`harness: the upload service did not start (${exited.message}):\n${output}`);
    try {
      const res = await fetch(`${url}${options.model.healthCheckPath}`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (options.model.healthyCodes.includes(res.status)) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await worker.terminate();
      throw new Error(`harness: the upload service was not healthy within ${options.startTimeoutMs ?? 30_000} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    problems,
    async close() {
      await worker.terminate();
    },
  };
}
