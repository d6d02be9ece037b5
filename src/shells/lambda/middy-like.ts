/**
 * The structural shape of middy's request and middleware objects, so that our middlewares type
 * against what they use rather than against @middy/core's generics (STYLE habit 7), plus the
 * cleanup registry: middy skips every `after` hook when a `before` hook answers early, so a
 * middleware whose `after` must always run (the request log) registers it as a cleanup, and a
 * middleware that answers early runs the registered cleanups before it returns.
 */
import type { Context } from 'aws-lambda';

export interface MiddyLikeRequest<TEvent = unknown, TResult = unknown> {
  event: TEvent;
  context: Context;
  response: TResult | null | undefined;
  error: unknown;
  internal: Record<string, unknown>;
}

export type MiddlewareFn<TEvent, TResult> = (request: MiddyLikeRequest<TEvent, TResult>) => unknown;

export interface MiddlewareLikeObj<TEvent = unknown, TResult = unknown> {
  before?: MiddlewareFn<TEvent, TResult>;
  after?: MiddlewareFn<TEvent, TResult>;
  onError?: MiddlewareFn<TEvent, TResult>;
}

const CLEANUPS = 'stowage.cleanups';

type Cleanup = (request: MiddyLikeRequest<never, never>) => void | Promise<void>;

/** Registers `cleanup` to run once when the request ends, whichever way it ends. */
export function registerCleanup<TEvent, TResult>(request: MiddyLikeRequest<TEvent, TResult>, cleanup: (request: MiddyLikeRequest<TEvent, TResult>) => void | Promise<void>): void {
  request.internal[CLEANUPS] ??= [];
  const list = request.internal[CLEANUPS] as Cleanup[];
  list.push(cleanup as Cleanup);
}

/** Runs (and forgets) the registered cleanups, latest first; `after`/`onError` hooks and early answers call it. */
export async function runCleanups<TEvent, TResult>(request: MiddyLikeRequest<TEvent, TResult>): Promise<void> {
  const list = (request.internal[CLEANUPS] ?? []) as Cleanup[];
  request.internal[CLEANUPS] = [];
  for (const cleanup of list.reverse()) await cleanup(request as unknown as MiddyLikeRequest<never, never>);
}
