/**
 * A Lambda "container" for the harness: a worker thread with the function's environment as its
 * own process.env (worker_threads copies it per worker), which imports the compiled entry the
 * first time the function is invoked (its cold start) and then calls the exported handler with
 * the event and a Lambda context, as the Node.js runtime does. Functions with the same
 * environment share one worker (and so one module graph: container-level singletons are shared
 * between them, where each Lambda function would have its own).
 */
import { parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

export interface WorkerFunction {
  id: string;
  module: string;
  exportName: string;
  functionName: string;
  memoryMiB: number;
  timeoutMs: number;
  region: string;
  accountId: string;
}

export type ToWorker = { kind: 'invoke'; invocationId: number; fn: WorkerFunction; event: string; requestId: string };

export type FromWorker =
  | { kind: 'result'; invocationId: number; payload: string }
  | { kind: 'error'; invocationId: number; errorType: string; errorMessage: string; stack?: string };

type Handler = (event: unknown, context: unknown) => unknown;

const handlers = new Map<string, Promise<Handler>>();

function load(fn: WorkerFunction): Promise<Handler> {
  let got = handlers.get(fn.id);
  if (!got) {
    got = import(pathToFileURL(fn.module).href).then((mod: Record<string, unknown>) => {
      const handler = mod[fn.exportName];
      if (typeof handler !== 'function') throw new Error(`Runtime.HandlerNotFound: ${fn.module} does not export ${fn.exportName}`);
      return handler as Handler;
    });
    handlers.set(fn.id, got);
  }
  return got;
}

function context(fn: WorkerFunction, requestId: string) {
  const deadline = Date.now() + fn.timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${fn.region}:${fn.accountId}:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memoryMiB),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: 'harness',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

parentPort?.on('message', (msg: ToWorker) => {
  void (async () => {
    try {
      const handler = await load(msg.fn);
      const result = await handler(JSON.parse(msg.event), context(msg.fn, msg.requestId));
      parentPort?.postMessage({ kind: 'result', invocationId: msg.invocationId, payload: JSON.stringify(result ?? null) } satisfies FromWorker);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      parentPort?.postMessage({
        kind: 'error',
        invocationId: msg.invocationId,
        errorType: e.name,
        errorMessage: e.message,
        ...(e.stack && { stack: e.stack }),
      } satisfies FromWorker);
    }
  })();
});
