/**
 * The node:http shell: turns HTTP requests into core calls and writes the core's responses.
 * It decides nothing about the registry; it only translates transport.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Registry, type HandledResponse, type RegistryOptions } from '../../core/registry.js';
import { DEFAULT_LIMITS, type RegistryPorts } from '../../core/context.js';
import type { RepositorySettings } from '../../core/repository-settings.js';
import type { RegistryResponse } from '../../core/messages.js';
import { RegistryError } from '../../core/errors.js';
import { clientAddressOf } from '../../core/client-address.js';
import { errorResponse, internalErrorResponse } from '../../core/error-response.js';
import { ALL_OPERATIONS } from '../../core/operations/all.js';
import { createPorts, EMBEDDED_DEFAULTS } from '../../adapters/create-ports.js';
import { log as processLog, withLogFields } from '../../log/logger.js';
import { accessLog, startRequest, type RequestObserver } from '../observe.js';
import { PrometheusObserver } from '../observe-prometheus.js';
import { scheduleCollections, type CollectionSchedule } from '../gc-schedule.js';
import { lifecyclePhase } from '../../core/lifecycle/expire.js';
import { isMetricsRequest, listenForMetrics, serveMetrics, type MetricsListener } from './metrics-listener.js';
import { healthResponse, isHealthRequest } from './health.js';
import { checkedTlsPair, type TlsPair } from './tls.js';
import { AddressCounts, capConnections, type ClientLimits, connectionsCheckingIntervalMs, DEFAULT_CLIENT_LIMITS, hasBody, idleGuarded, refusedSockets } from './client-limits.js';
import { answerClientError, lingerWhenClosed } from './socket-answers.js';
import { loadConsoleAssets, type ConsoleAssets } from './console-assets.js';
import { isRecycling, writeRecycled } from './recycled-body.js';

export interface ServerOptions {
  dataDir: string;
  host?: string;
  port?: number;
  webhooks?: string[];
  /**
   * Auth, audit and the client-address header, built once the server listens (a default realm
   * and service name the port, which is known only then, e.g. with port 0).
   */
  security?: (listening: { url: string; host: string; port: number }) => RegistryOptions | Promise<RegistryOptions>;
  /**
   * Prometheus metrics (GET /metrics, no registry token): on the main port by default; with
   * `listen`, only on that separate address (keep it private); `false`: none.
   */
  metrics?: { listen?: { host: string; port: number } } | false;
  /** Serve HTTPS (HTTP/1.1) with this certificate and key instead of plain HTTP. */
  tls?: TlsPair;
  /** Limits against slow or greedy clients (./client-limits.ts); each absent one its default. */
  limits?: Partial<ClientLimits>;
  /** Serve the web console at /ui/ (./console-assets.ts; `true`: the built dist/ui/). Off unless asked. */
  console?: boolean | { dir: string };
  /** Per-repository settings (tag mutability, lifecycle policies). @default none: every repository MUTABLE */
  repositories?: RepositorySettings;
  /** Periodic in-process garbage collection (src/shells/gc-schedule.ts); absent: none. */
  gc?: { intervalMs: number; graceMs: number; uploadTtlMs: number };
}

/** How a graceful shutdown ended: requests still running at the timeout were cut. */
export interface DrainResult {
  cut: number;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  /** Where /metrics is served when it has its own listener. */
  metricsUrl?: string;
  /** Closes at once: every connection, in flight or not, then the stores. */
  close(): Promise<void>;
  /**
   * Graceful shutdown: stops accepting connections, closes idle keep-alive connections at once,
   * lets requests in flight finish for up to `timeoutMs` (each connection closes after its
   * response), cuts what still runs then, and closes the stores.
   */
  drain(timeoutMs: number): Promise<DrainResult>;
  /** Serves this certificate and key to new connections (HTTPS only; throws on a bad pair). */
  setTls(pair: TlsPair): void;
}

function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Body bytes written so far: the access log's bytes out, right even when writing fails half-way. */
interface Sent {
  bytes: number;
}

/**
 * A request body the core left unread is drained, so the connection stays usable, when it is at
 * most this long (by its Content-Length); a longer or chunked one gets `Connection: close` and a
 * lingering close instead, so the client still reads the answer rather than a broken pipe.
 */
const DRAIN_LIMIT_BYTES = 8 << 20;

/** Reads and drops the rest of a body, within the idle timeout (else the socket is cut). */
function drainBody(req: IncomingMessage, idleMs: number): void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    if (idleMs > 0) timer = setTimeout(() => req.socket.destroy(), idleMs);
  };
  arm();
  req.on('data', arm);
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/**
 * The headers to send when the core answered before the request body ended (an oversize
 * manifest, a chunk out of order, an error mid-upload): the body is drained when short,
 * otherwise the connection closes after the answer, lingering. The rest of the body must never be
 * taken for the next request.
 */
function settleUnreadBody(req: IncomingMessage, headers: RegistryResponse['headers'], idleMs: number): RegistryResponse['headers'] {
  if (req.complete) return headers;
  const length = req.headers['content-length'];
  if (length !== undefined && req.headers['transfer-encoding'] === undefined && Number(length) <= DRAIN_LIMIT_BYTES) {
    drainBody(req, idleMs);
    return headers;
  }
  lingerWhenClosed(req.socket);
  req.resume();
  return { ...headers, connection: 'close' };
}

/**
 * Content-Length as the bytes actually sent: a body held in memory is counted here, whatever a
 * header says, since one wrong length corrupts every later response on a keep-alive connection
 * (and, behind a proxy that reuses connections, hands one client's bytes to another). A HEAD
 * keeps the length a GET would have; a streamed body keeps the length its source knows.
 */
function framed(r: RegistryResponse, head: boolean): RegistryResponse['headers'] {
  if (head) return r.headers;
  const body = r.body;
  if (body === undefined) return { ...r.headers, 'content-length': '0' };
  if (typeof body === 'string') return { ...r.headers, 'content-length': String(Buffer.byteLength(body)) };
  if (body instanceof Uint8Array) return { ...r.headers, 'content-length': String(body.byteLength) };
  return r.headers;
}

async function writeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  r: RegistryResponse,
  head: boolean,
  sent: Sent = { bytes: 0 },
  bodyIdleMs = DEFAULT_CLIENT_LIMITS.bodyIdleTimeoutMs,
): Promise<void> {
  res.writeHead(r.status, settleUnreadBody(req, framed(r, head), bodyIdleMs));
  const body = r.body;
  if (head || body === undefined) {
    res.end();
    return;
  }
  if (typeof body === 'string' || body instanceof Uint8Array) {
    sent.bytes += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    res.end(body);
    return;
  }
  if (isRecycling(body)) return writeRecycled(body, res, (n) => (sent.bytes += n));
  await pipeline(
    body instanceof Readable ? body : Readable.from(body),
    async function* (chunks: AsyncIterable<Uint8Array>) {
      for await (const chunk of chunks) {
        sent.bytes += chunk.byteLength;
        yield chunk;
      }
    },
    res,
  );
}

/**
 * The node request handler: each request observed (./../observe.ts: its id, the access line,
 * metrics) around Registry.handle, its id in every log line written while it runs.
 */
export function createRequestHandler(
  registry: Registry,
  log: (m: string, e?: unknown) => void = (m, e) => processLog.error(m, { error: e }),
  observers: readonly RequestObserver[] = [accessLog(processLog)],
  limits: ClientLimits = DEFAULT_CLIENT_LIMITS,
  /** The trusted client-address header (RegistryOptions.clientAddressHeader): behind a proxy, uploads are counted per client, not per proxy. */
  clientAddressHeader?: string,
) {
  const uploads = new AddressCounts();
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    const headers = headersOf(req);
    const remoteAddress = req.socket.remoteAddress ?? null;
    const observed = startRequest(observers, { method, path, headers, remoteAddress });
    const { requestId } = observed;
    const sent: Sent = { bytes: 0 };
    let status = 500;
    let facts: HandledResponse['facts'] | undefined;
    // A body in flight holds a socket and, for an upload, an open file: one address gets a few.
    const address = clientAddressOf(headers, remoteAddress, clientAddressHeader) ?? '';
    const carriesBody = hasBody(req.headers);
    const slot = !carriesBody || uploads.take(address, limits.uploadsPerAddress);
    if (carriesBody && slot) res.once('close', () => uploads.release(address));
    await withLogFields({ requestId }, async () => {
      try {
        let response: HandledResponse | RegistryResponse;
        if (slot) {
          // destroyOnReturn: false, so a core that stops reading early does not tear down the socket
          // before its error response is written.
          const raw = { [Symbol.asyncIterator]: () => req.iterator({ destroyOnReturn: false }) };
          const body = observed.countedBody(idleGuarded(raw, limits.bodyIdleTimeoutMs));
          response = await registry.handle({ method, path, query, headers, body, remoteAddress, requestId });
          ({ facts } = response as HandledResponse);
        } else {
          response = errorResponse(TOO_MANY_UPLOADS, head);
        }
        status = response.status;
        await writeResponse(req, res, observed.tagged(response), head, sent, limits.bodyIdleTimeoutMs);
      } catch (err) {
        // The client went away mid-request. (Not req.destroyed: that is also true of a live
        // client whose body was read to its end, which must still get its answer.)
        if (res.destroyed || req.socket.destroyed) return;
        log(`${method} ${path.slice(0, 200)} failed`, err);
        if (!res.headersSent) {
          const internal = internalErrorResponse(head);
          status = internal.status;
          await writeResponse(req, res, observed.tagged(internal), head, sent, limits.bodyIdleTimeoutMs);
        } else {
          res.destroy();
        }
      } finally {
        observed.finish({ status, bytesOut: sent.bytes, ...(facts && { facts }) });
      }
    });
  };
}

const TOO_MANY_UPLOADS = new RegistryError('TOOMANYREQUESTS', 'too many requests with a body in flight from this address: retry in a moment', { retryAfterSeconds: 1 });

const STARTING = new RegistryError('UNAVAILABLE', 'the registry is starting: retry in a moment', { retryAfterSeconds: 1 });

/** Starts the registry on the given ports (the embedded default's when none are given). */
export async function startServer(options: ServerOptions, ports?: RegistryPorts & { close?(): void }): Promise<RunningServer> {
  const webhooks = options.webhooks ?? [];
  const limits: ClientLimits = { ...DEFAULT_CLIENT_LIMITS, ...options.limits };
  const resolvedPorts = ports ?? (await createPorts({ ...EMBEDDED_DEFAULTS, dataDir: options.dataDir, webhooks, events: webhooks.length ? ['log', 'webhook'] : ['log'] }));
  let handler: ReturnType<typeof createRequestHandler> | undefined;
  const prometheus = options.metrics === false ? undefined : new PrometheusObserver(() => resolvedPorts.metadata.storedBytes());
  const metricsOnMainPort = prometheus && !(options.metrics && options.metrics.listen !== undefined) ? prometheus : undefined;
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const health = {
    metadata: resolvedPorts.metadata,
    blobs: resolvedPorts.blobs,
    notServing: () => (draining ? 'shutting down' : handler ? undefined : 'starting'),
  };
  // Not a registry route: the console's files, no token, no access line (./console-assets.ts).
  const consoleAssets: ConsoleAssets | undefined = options.console ? await loadConsoleAssets(options.console === true ? undefined : options.console.dir) : undefined;
  const listener: RequestListener = (req, res) => {
    // A connection over its address's cap was answered 429 already (./client-limits.ts).
    if (refusedSockets.has(req.socket)) return;
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      // While draining, a connection whose last request ended is idle: close it now.
      if (draining) {
        setImmediate(() => server.closeIdleConnections());
        if (inFlight === 0) idle?.();
      }
    });
    // A request that arrives on a kept-alive connection while draining is its last one.
    if (draining) res.setHeader('connection', 'close');
    // Not /v2 routes: no token, no access line (./metrics-listener.ts, ./health.ts).
    if (metricsOnMainPort && isMetricsRequest(req)) {
      void serveMetrics(metricsOnMainPort, req, res);
      return;
    }
    const consoleResponse = consoleAssets?.respond(req.method ?? 'GET', req.url ?? '/');
    if (consoleResponse) {
      void writeResponse(req, res, consoleResponse, req.method === 'HEAD').catch(() => res.destroy());
      return;
    }
    serveHealthOr(req, res, health, () => {
      if (handler) return handler(req, res);
      // Only between listen() and the registry's construction.
      return writeResponse(req, res, errorResponse(STARTING, req.method === 'HEAD'), req.method === 'HEAD');
    }).catch(() => res.destroy());
  };
  // No request timeout: a large layer may take long to stream. Slow clients are bounded instead by
  // the header timeout, the body idle timeout and the per-address caps (./client-limits.ts).
  const serverOptions = {
    requestTimeout: 0,
    headersTimeout: limits.headersTimeoutMs,
    connectionsCheckingInterval: connectionsCheckingIntervalMs(limits),
    keepAliveTimeout: 65_000,
  };
  const server: Server = options.tls ? createTlsServer({ ...serverOptions, ...checkedTlsPair(options.tls) }, listener) : createServer(serverOptions, listener);
  // A parse failure, a header timeout or a TLS handshake on the plain port (skopeo and crane try
  // TLS first) gets an answer the client can read, not a reset.
  server.on('clientError', answerClientError);
  capConnections(server, limits, options.tls !== undefined);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 5000, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `${options.tls ? 'https' : 'http'}://${urlHost}:${port}`;
  let metricsListener: MetricsListener | undefined;
  try {
    const metricsAddress = options.metrics ? options.metrics.listen : undefined;
    if (prometheus && metricsAddress) metricsListener = await listenForMetrics(prometheus, metricsAddress);
    const registryOptions = options.security ? await options.security({ url, host, port }) : {};
    // The node server carries chunks of any size, so it advertises the store's minimum chunk.
    const registryLimits = {
      ...DEFAULT_LIMITS,
      ...(resolvedPorts.blobs.minChunkLength !== undefined && { chunkMinLength: resolvedPorts.blobs.minChunkLength }),
      ...(options.repositories && { repositories: options.repositories }),
    };
    const observers = [accessLog(processLog), ...(prometheus ? [prometheus] : [])];
    handler = createRequestHandler(
      new Registry(resolvedPorts, registryLimits, { ...registryOptions, operations: ALL_OPERATIONS }),
      undefined,
      observers,
      limits,
      registryOptions.clientAddressHeader,
    );
  } catch (err) {
    server.close();
    await metricsListener?.close();
    throw err;
  }
  const gc = options.gc;
  const collections: CollectionSchedule | undefined =
    gc && gc.intervalMs > 0
      ? scheduleCollections({
          metadata: resolvedPorts.metadata,
          blobs: resolvedPorts.blobs,
          intervalMs: gc.intervalMs,
          graceMs: gc.graceMs,
          uploadTtlMs: gc.uploadTtlMs,
          ...(options.repositories && { beforeMark: lifecyclePhase(resolvedPorts, options.repositories) }),
          log: processLog,
          record: (outcome) => prometheus?.collected(outcome),
        })
      : undefined;
  return {
    url,
    host,
    port,
    ...(metricsListener && { metricsUrl: metricsListener.url }),
    async close() {
      await collections?.stop();
      server.closeAllConnections();
      await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), metricsListener?.close()]);
      resolvedPorts.close?.();
    },
    async drain(timeoutMs) {
      draining = true;
      await collections?.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const metricsClosed = metricsListener?.close();
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const finished =
        inFlight === 0
          ? 'done'
          : await Promise.race([
              new Promise<'done'>((resolve) => (idle = () => resolve('done'))),
              new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
            ]);
      clearTimeout(timer);
      const cut = finished === 'timeout' ? inFlight : 0;
      server.closeAllConnections();
      await Promise.all([closed, metricsClosed]);
      resolvedPorts.close?.();
      return { cut };
    },
    setTls(pair) {
      if (!options.tls) throw new Error('the server serves plain HTTP: start it with a certificate to reload one');
      (server as TlsServer).setSecureContext(checkedTlsPair(pair));
    },
  };
}

/** Answers the health paths (health.ts) itself, and hands every other request to `next`. */
async function serveHealthOr(req: IncomingMessage, res: ServerResponse, state: Parameters<typeof healthResponse>[2], next: () => Promise<void>): Promise<void> {
  const method = req.method ?? 'GET';
  if (!isHealthRequest(method, req.url ?? '/')) return next();
  const response = await healthResponse(method, req.url ?? '/', state).catch(() => undefined);
  if (response) await writeResponse(req, res, response, method === 'HEAD');
  else await next();
}
