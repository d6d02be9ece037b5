/**
 * The request observer chain every shell wraps around Registry.handle (STYLE habit 12): the one
 * place that gives a request its id, times it, counts its bytes and, once the shell has written
 * the response, hands one AccessRecord to each RequestObserver: the access log line (here),
 * Prometheus on the node server (./observe-prometheus.ts), CloudWatch embedded metrics on a
 * Lambda (./observe-emf.ts). Operations never log or count requests themselves.
 *
 *   const request = startRequest(observers, { method, path, headers, remoteAddress });
 *   const res = request.tagged(await withLogFields({ requestId: request.requestId }, () => registry.handle(...)));
 *   ... write res, counting the body bytes written ...
 *   request.finish({ status, bytesOut, facts: res.facts });
 *
 * Bytes out are known to the shell only after writing, hence the two steps. The request id is
 * the client's X-Request-Id when it is a safe token (at most 128 characters of [A-Za-z0-9._:/+=@-]),
 * else the platform's (API Gateway's request id), else a new UUID; it goes back in the
 * X-Request-Id header of every response and into every log line written during the request.
 *
 * No node-only module beyond node:crypto, and no metrics library: Lambdas import this.
 */
import { randomUUID } from 'node:crypto';
import type { RegistryResponse } from '../core/messages.js';
import type { RequestFacts } from '../core/registry.js';
import { matchRoute } from '../core/routes.js';
import type { Logger } from '../ports/logger.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What an id the client sends may look like: no spaces, quotes or control characters, so it can be logged and echoed as is. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

/** The client's X-Request-Id when it is safe to log and echo; undefined otherwise. */
export function acceptedRequestId(raw: string | undefined): string | undefined {
  return raw !== undefined && SAFE_REQUEST_ID.test(raw) ? raw : undefined;
}

/** One line of the access log: what an operator needs to find and judge one request. */
export interface AccessRecord {
  requestId: string;
  clientAddress: string | null;
  user: string | null;
  method: string;
  /** The route's operation (`getManifest`, ...); `none` when no route matched. */
  operation: string;
  repository: string | null;
  status: number;
  /** Request body bytes the registry read. */
  bytesIn: number;
  /** Response body bytes written. */
  bytesOut: number;
  durationMs: number;
}

/** What is known when a request arrives: enough for in-flight gauges. */
export interface RequestStart {
  requestId: string;
  method: string;
  /** From the route table; `none` when no route matches. */
  operation: string;
}

/** A consumer of finished requests (a log, a metrics registry). It must not throw, and must not block. */
export interface RequestObserver {
  started?(start: RequestStart): void;
  finished(record: AccessRecord, start: RequestStart): void;
}

/** The access log: one `request` line per request at info level, with the record's fields. */
export function accessLog(log: Logger): RequestObserver {
  return {
    finished(record) {
      log.info('request', { ...record });
    },
  };
}

export interface RequestArrival {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  /** The socket's peer, used when the core gives no client address (a request that failed before it). */
  remoteAddress?: string | null;
  /** The platform's id for this request (API Gateway's), used when the client sends none. */
  platformRequestId?: string;
}

export interface RequestEnd {
  status: number;
  bytesOut: number;
  /** What the core learned; absent when the request failed before or outside the core. */
  facts?: RequestFacts;
}

/** One request on its way through a shell: its id, its byte counts, its end. */
export class ObservedRequest {
  readonly requestId: string;
  /** Matched from the route table only when an observer or the access line needs it before the core's facts. */
  private start: RequestStart | undefined;
  private readonly startedAt: number;
  private bytesIn = 0;
  private facts: RequestFacts | undefined;
  private done = false;

  constructor(
    private readonly observers: readonly RequestObserver[],
    private readonly arrival: RequestArrival,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.requestId = acceptedRequestId(arrival.headers[REQUEST_ID_HEADER]) ?? arrival.platformRequestId ?? randomUUID();
    this.startedAt = this.now();
    // The core matches the route again and reports it in its facts; match here only for observers
    // that count requests as they start (the node server's in-flight gauge), not on every Lambda call.
    if (observers.some((o) => o.started)) {
      const start = this.matchedStart();
      for (const o of observers) safely(() => o.started?.(start));
    }
  }

  private matchedStart(): RequestStart {
    if (!this.start) {
      const match = matchRoute(this.arrival.method, this.arrival.path);
      this.start = { requestId: this.requestId, method: this.arrival.method, operation: match.kind === 'match' ? match.route.operation : 'none' };
    }
    return this.start;
  }

  /** The request body, counted as the core reads it. */
  countedBody(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const chunk of body) {
          self.bytesIn += chunk.byteLength;
          yield chunk;
        }
      },
    };
  }

  /** For shells that hold the whole body (a Lambda): its size. */
  addBytesIn(n: number): void {
    this.bytesIn += n;
  }

  /** What the core learned, for shells that finish the request elsewhere than where they call the core (a Lambda's middleware). */
  noteFacts(facts: RequestFacts): void {
    this.facts = facts;
  }

  /** The response with the X-Request-Id header. */
  tagged<R extends RegistryResponse>(res: R): R {
    return { ...res, headers: { ...res.headers, [REQUEST_ID_HEADER]: this.requestId } };
  }

  /** Reports the request to every observer, once; later calls are ignored. */
  finish(end: RequestEnd): void {
    if (this.done) return;
    this.done = true;
    const f = end.facts ?? this.facts;
    const record: AccessRecord = {
      requestId: this.requestId,
      clientAddress: f?.clientAddress ?? this.arrival.remoteAddress ?? null,
      user: f?.user ?? null,
      method: this.arrival.method,
      operation: f ? (f.operation ?? 'none') : this.matchedStart().operation,
      repository: f?.repository ?? null,
      status: end.status,
      bytesIn: this.bytesIn,
      bytesOut: end.bytesOut,
      durationMs: Math.round((this.now() - this.startedAt) * 10) / 10,
    };
    const start = this.start ?? { requestId: this.requestId, method: record.method, operation: record.operation };
    for (const o of this.observers) safely(() => o.finished(record, start));
  }
}

/** Starts observing a request. */
export function startRequest(observers: readonly RequestObserver[], arrival: RequestArrival, now?: () => number): ObservedRequest {
  return new ObservedRequest(observers, arrival, now);
}

/** An observer's failure must not fail the request it observes. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // nothing to do: the request is served either way
  }
}
