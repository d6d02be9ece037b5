/**
 * Runs the stack's Lambda functions in-process: one worker thread (./lambda-worker.ts) per
 * distinct environment, started on the first invocation, each with exactly the environment the
 * template gives its functions (plus the Lambda runtime's own variables and the emulators'
 * endpoints and credentials). Events and results cross as JSON strings, the way the Lambda
 * service carries them, so their sizes are the invoke payload sizes the limits apply to.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerFunction } from './lambda-worker.js';

export interface RuntimeFunctionSpec {
  /** Logical id in the template. */
  id: string;
  /** Compiled module to import. */
  module: string;
  exportName: string;
  functionName: string;
  memoryMiB: number;
  timeoutMs: number;
  /** The complete environment of the function. */
  env: Record<string, string>;
}

export type InvokeOutcome = { kind: 'result'; payload: string } | { kind: 'error'; errorType: string; errorMessage: string; stack?: string } | { kind: 'timeout' };

/** What API Gateway needs of Lambda: a synchronous invoke (tests substitute their own). */
export interface LambdaInvoker {
  invoke(functionId: string, event: string, requestId: string, timeoutMs?: number): Promise<InvokeOutcome>;
}

export interface LambdaRuntimeOptions {
  region: string;
  accountId: string;
  /** Where the functions' stdout/stderr (their CloudWatch logs) go: a file path, 'inherit' or 'silent'. */
  logs: string | 'inherit' | 'silent';
}

interface Container {
  worker: Worker;
  pending: Map<number, (outcome: InvokeOutcome) => void>;
}

export class LambdaRuntime implements LambdaInvoker {
  private readonly byId: Map<string, RuntimeFunctionSpec>;
  private readonly containers = new Map<string, Container>();
  private readonly logFile: WriteStream | undefined;
  private nextInvocation = 1;
  private closed = false;

  constructor(
    functions: readonly RuntimeFunctionSpec[],
    private readonly options: LambdaRuntimeOptions,
  ) {
    this.byId = new Map(functions.map((f) => [f.id, f]));
    this.logFile = options.logs !== 'inherit' && options.logs !== 'silent' ? createWriteStream(options.logs, { flags: 'a' }) : undefined;
  }

  has(functionId: string): boolean {
    return this.byId.has(functionId);
  }

  spec(functionId: string): RuntimeFunctionSpec {
    const fn = this.byId.get(functionId);
    if (!fn) throw new Error(`harness: no runnable Lambda function ${functionId}`);
    return fn;
  }

  /** Invokes synchronously (RequestResponse); `timeoutMs` defaults to the function's timeout. */
  invoke(functionId: string, event: string, requestId: string, timeoutMs?: number): Promise<InvokeOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'error', errorType: 'HarnessClosed', errorMessage: 'the harness is closed' });
    const fn = this.spec(functionId);
    const container = this.containerFor(fn);
    const invocationId = this.nextInvocation++;
    const wf: WorkerFunction = {
      id: fn.id,
      module: fn.module,
      exportName: fn.exportName,
      functionName: fn.functionName,
      memoryMiB: fn.memoryMiB,
      timeoutMs: fn.timeoutMs,
      region: this.options.region,
      accountId: this.options.accountId,
    };
    return new Promise<InvokeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        container.pending.delete(invocationId);
        resolve({ kind: 'timeout' });
      }, timeoutMs ?? fn.timeoutMs);
      container.pending.set(invocationId, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
      container.worker.postMessage({ kind: 'invoke', invocationId, fn: wf, event, requestId } satisfies ToWorker);
    });
  }

  private containerFor(fn: RuntimeFunctionSpec): Container {
    const key = JSON.stringify(Object.entries(fn.env).sort(([a], [b]) => a.localeCompare(b)));
    let container = this.containers.get(key);
    if (container) return container;
    const worker = new Worker(new URL('./lambda-worker.js', import.meta.url), { env: fn.env, stdout: true, stderr: true });
    const pending = new Map<number, (outcome: InvokeOutcome) => void>();
    container = { worker, pending };
    this.containers.set(key, container);
    this.pipeLogs(worker);
    worker.on('message', (msg: FromWorker) => {
      const done = pending.get(msg.invocationId);
      if (!done) return; // timed out already
      pending.delete(msg.invocationId);
      done(
        msg.kind === 'result'
          ? { kind: 'result', payload: msg.payload }
          : { kind: 'error', errorType: msg.errorType, errorMessage: msg.errorMessage, ...(msg.stack && { stack: msg.stack }) },
      );
    });
    const fail = (err: Error) => {
      this.containers.delete(key);
      for (const done of pending.values()) done({ kind: 'error', errorType: 'Runtime.ExitError', errorMessage: err.message });
      pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the function's container exited (code ${code})`)));
    return container;
  }

  private pipeLogs(worker: Worker): void {
    const { logs } = this.options;
    if (logs === 'inherit') {
      worker.stdout.pipe(process.stdout, { end: false });
      worker.stderr.pipe(process.stderr, { end: false });
    } else if (this.logFile) {
      worker.stdout.pipe(this.logFile, { end: false });
      worker.stderr.pipe(this.logFile, { end: false });
    } else {
      worker.stdout.resume();
      worker.stderr.resume();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const containers = [...this.containers.values()];
    this.containers.clear();
    await Promise.all(containers.map((c) => c.worker.terminate()));
    await new Promise<void>((resolve) => (this.logFile ? this.logFile.end(() => resolve()) : resolve()));
  }
}
