/**
 * Starts the upload service as the stack deploys it: the task definition's container
 * environment (bucket and table names resolved to the emulators'), run by `stowage serve` in a
 * worker thread (./upload-service-worker.ts), healthy once the target group's health check path
 * answers one of its healthy codes. Two local adaptations, both visible here: the container's
 * address becomes a free loopback port (the template's 0.0.0.0:5000; the server's start line
 * says which), and its data directory a temp dir. Before that, the environment is checked exactly as the container would see it
 * (`stowage serve`'s own config validation, with the template's host): a container that would
 * refuse to start on AWS is reported as a problem.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseServeConfig } from '../../src/cli/serve-config.js';
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

/** Whether `stowage serve` would start with this environment (its own validation). */
export function serveConfigProblem(env: Record<string, string>): string | undefined {
  try {
    parseServeConfig([], env);
    return undefined;
  } catch (err) {
    return `the upload service's container would not start on AWS: stowage serve says "${(err as Error).message}"`;
  }
}

/** The target group's health check: the path answers one of its healthy codes. */
async function healthy(url: string, model: UploadServiceModel): Promise<boolean> {
  try {
    const res = await fetch(`${url}${model.healthCheckPath}`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return model.healthyCodes.includes(res.status);
  } catch {
    return false;
  }
}

export async function startUploadService(options: UploadServiceOptions): Promise<RunningUploadService> {
  const problems: string[] = [];
  const problem = options.deployedEnvironment && serveConfigProblem(options.deployedEnvironment);
  if (problem) problems.push(problem);

  const dataDir = join(options.dataDir, 'upload-service');
  await mkdir(dataDir, { recursive: true });
  // Port 0: the server picks a free port and says which in its start line (no race for a port).
  const env = { ...options.environment, STOWAGE_HOST: '127.0.0.1', STOWAGE_PORT: '0', STOWAGE_DATA_DIR: dataDir };
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

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  let url: string | undefined;
  for (;;) {
    if (exited) throw new Error(`harness: the upload service did not start (${exited.message}):\n${output}`);
    url ??= /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (url && (await healthy(url, options.model))) break;
    if (Date.now() > deadline) {
      await worker.terminate();
      if (!url) throw new Error(`harness: the upload service printed no "listening on http://..." line within ${options.startTimeoutMs ?? 30_000} ms:\n${output}`);
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
