/**
 * The CloudFront distribution in front of everything, as the template configures it. Per
 * request: pick the behaviour by path pattern (cache behaviours in order, then the default), run
 * its viewer-request CloudFront Function (the template's own source, run as CloudFront runs it:
 * the function's `handler` with a JS 2.0 event), forward to the behaviour's origin with the
 * origin request policy (AllViewerExceptHostHeader: Host becomes the origin's domain), the cache
 * policy (Authorization reaches the origin only when the policy keys on it) and the origin's
 * custom headers (the API key), then, on behaviours with the Lambda@Edge
 * origin-response function, run the stack's handler (lib/edge/origin-response.ts) on the
 * origin's response.
 *
 *   REST API origin       in-process to ./api-gateway.ts, at origin path + URI
 *   S3 origin (blobs)     the bucket on the S3 emulator (path-style: /<bucket><uri>), with the
 *                         viewer's query (the presigned signature) and Range only, then the
 *                         behaviour's viewer-response Function on answers below 400, as
 *                         CloudFront runs it; fauxqs does not check presigned signatures
 *   VPC origin (uploads)  the load balancer's listener rules, then an HTTP proxy to the upload
 *                         service, bodies streamed both ways; no response headers within the
 *                         origin read timeout (60 s) after the request is sent is CloudFront's 504
 *
 * Local adaptations: the harness serves plain HTTP on a port, where CloudFront serves HTTPS on
 * 443, so the function sees a stand-in Host (local-names.ts), and every value it derives from
 * the Host (the challenge's realm URL, service, the public host) gets this listener's scheme,
 * host and port.
 * CloudFront's own address, as API Gateway's `sourceIp` and in X-Forwarded-For, is the
 * documentation address 192.0.2.1. Not emulated: caching (the stack's policy caches nothing
 * without Cache-Control), compression, geo headers, WAF.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFrontHeaders } from '../../lib/edge/remapped-headers.js';
import type { RestApiGateway } from './api-gateway.js';
import type { BehaviorModel, FrontDoorModel, OriginModel } from './front-door-model.js';
import { fromRawHeaders, HOP_BY_HOP, toOutgoing, withoutHeaders, type HeaderList } from './headers.js';
import { localizePublicHost, PUBLIC_HOST_STAND_IN } from './local-names.js';

export const CLOUDFRONT_EDGE_ADDRESS = '192.0.2.1';

export type OriginResponseHandler = (event: unknown) => Promise<unknown>;

export interface FrontDoorRecord {
  method: string;
  uri: string;
  behavior: string;
  origin: 'api' | 'upload-service' | 'load-balancer' | 'cloudfront' | 's3';
  status: number;
  /** The viewer request's framing: its Content-Length, or chunked. */
  contentLength?: number;
  chunked?: boolean;
  /** Body bytes forwarded to the upload service. */
  bodyBytes?: number;
}

export interface FrontDoorOptions {
  model: FrontDoorModel;
  /** The Lambda@Edge origin-response handler (the stack's, compiled). */
  originResponse: OriginResponseHandler;
  /** Overrides the origins' read timeouts (tests). */
  originReadTimeoutMs?: number;
}

/** The origins, attached once they run (they need the front door's address first). */
export interface FrontDoorOrigins {
  gateway: RestApiGateway;
  /** The upload service's base URL, when the stack has one. */
  uploadServiceUrl?: string;
  /** The S3 emulator's endpoint and the bucket name of each AWS::S3::Bucket logical id. */
  s3?: { endpoint: string; buckets: ReadonlyMap<string, string> };
}

/** CloudFront (and ALB) path patterns: `*` any run of characters, `?` one; case-sensitive. */
export function pathPatternMatches(pattern: string, path: string): boolean {
  const p = pattern.startsWith('/') || pattern === '*' ? pattern : `/${pattern}`;
  const regex = new RegExp(
    `^${p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return regex.test(path);
}

export function behaviorFor(model: FrontDoorModel, path: string): BehaviorModel {
  return model.behaviors.find((b) => b.pathPattern === '*' || pathPatternMatches(b.pathPattern, path)) as BehaviorModel;
}

interface CfFunctionRequest {
  method: string;
  uri: string;
  querystring: Record<string, { value: string; multiValue?: { value: string }[] }>;
  headers: Record<string, { value: string; multiValue?: { value: string }[] }>;
  cookies: Record<string, { value: string }>;
}
type CfFunction = (event: unknown) => CfFunctionRequest | { statusCode: number; statusDescription?: string; headers?: Record<string, { value: string }>; body?: unknown };

const compiled = new Map<string, CfFunction>();
/** The function's source compiled as CloudFront loads it: a script whose `handler` is called. */
export function cloudFrontFunction(code: string): CfFunction {
  let fn = compiled.get(code);
  if (!fn) {
    fn = new Function(`${code}\nreturn handler;`)() as CfFunction;
    compiled.set(code, fn);
  }
  return fn;
}

function toFunctionHeaders(headers: HeaderList): CfFunctionRequest['headers'] {
  const out: CfFunctionRequest['headers'] = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const prev = out[key];
    if (!prev) out[key] = { value };
    else prev.multiValue = [...(prev.multiValue ?? [{ value: prev.value }]), { value }];
  }
  return out;
}

function toFunctionQuery(query: string): CfFunctionRequest['querystring'] {
  const querystring: CfFunctionRequest['querystring'] = {};
  for (const [k, v] of new URLSearchParams(query)) {
    const prev = querystring[k];
    if (!prev) querystring[k] = { value: v };
    else prev.multiValue = [...(prev.multiValue ?? [{ value: prev.value }]), { value: v }];
  }
  return querystring;
}

/** A viewer-response function's result: the response object it returns. */
type CfFunctionResponse = { statusCode: number; statusDescription?: string; headers: CfFunctionRequest['headers'] };

function fromFunctionHeaders(headers: CfFunctionRequest['headers']): HeaderList {
  return Object.entries(headers).flatMap(([name, h]) => (h.multiValue ?? [{ value: h.value }]).map((v): [string, string] => [name, v.value]));
}

function toEdgeHeaders(headers: HeaderList): CloudFrontHeaders {
  const out: CloudFrontHeaders = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    out[key] ??= [];
    out[key].push({ key: name, value });
  }
  return out;
}

function fromEdgeHeaders(headers: CloudFrontHeaders): HeaderList {
  return Object.entries(headers).flatMap(([name, list]) => list.map((h): [string, string] => [h.key ?? name, h.value]));
}

export class FrontDoor {
  readonly records: FrontDoorRecord[] = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private server: Server | undefined;
  readonly scheme = 'http';
  private host = '127.0.0.1';
  private port = 0;
  private readonly distributionId = `E${randomBytes(6).toString('hex').toUpperCase()}`;
  private readonly edgeHost = `${randomBytes(8).toString('hex')}.cloudfront.net`;

  private origins: FrontDoorOrigins | undefined;

  constructor(private readonly options: FrontDoorOptions) {}

  attach(origins: FrontDoorOrigins): void {
    this.origins = origins;
  }

  /** The public host as clients use it (host:port). */
  get hostPort(): string {
    return `${this.host}:${this.port}`;
  }

  async listen(host = '127.0.0.1', port = 0): Promise<string> {
    this.server = createServer({ keepAliveTimeout: 120_000, headersTimeout: 125_000, requestTimeout: 0 }, (req, res) => {
      this.serve(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain', connection: 'close' });
          res.end(`harness front door error: ${(err as Error)?.stack ?? String(err)}`);
        } else {
          res.destroy();
        }
      });
    });
    // Clients such as skopeo try TLS first on a plain-HTTP port.
    this.server.on('clientError', (_e, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.host = host;
    return `${this.scheme}://${host}:${this.port}`;
  }

  async close(): Promise<void> {
    this.agent.destroy();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origins = this.origins;
    if (!origins) {
      res.writeHead(503, { 'retry-after': '1', connection: 'close' }).end();
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let uri = q === -1 ? url : url.slice(0, q);
    let query = q === -1 ? '' : url.slice(q + 1);
    const method = (req.method ?? 'GET').toUpperCase();
    const behavior = behaviorFor(this.options.model, uri);
    const viewerIp = req.socket.remoteAddress ?? '127.0.0.1';
    const requestId = randomBytes(24).toString('base64url');
    const framing = {
      ...(req.headers['content-length'] !== undefined && { contentLength: Number(req.headers['content-length']) }),
      ...(/chunked/i.test(String(req.headers['transfer-encoding'] ?? '')) && { chunked: true }),
    };
    let bodyBytes = 0;
    const record = (origin: FrontDoorRecord['origin'], status: number) =>
      this.records.push({ method, uri, behavior: behavior.pathPattern, origin, status, ...framing, ...(origin === 'upload-service' && { bodyBytes }) });
    if (behavior.origin.kind === 'upload-service') req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    let headers = withoutHeaders(fromRawHeaders(req.rawHeaders), ['expect']);

    if (!behavior.allowedMethods.includes(method)) {
      record('cloudfront', 403);
      return this.cloudFrontError(res, 403, 'This distribution is not configured to allow the HTTP request method that was used for this request.');
    }

    if (behavior.viewerRequestCode !== undefined) {
      const ran = this.viewerRequest(behavior.viewerRequestCode, { method, uri, query, headers, viewerIp, requestId });
      if ('response' in ran) {
        record('cloudfront', ran.response.statusCode);
        res.writeHead(ran.response.statusCode, Object.fromEntries(Object.entries(ran.response.headers ?? {}).map(([k, v]) => [k, v.value])));
        res.end(typeof ran.response.body === 'string' ? ran.response.body : '');
        return;
      }
      ({ uri, query, headers } = ran);
    }

    const origin = behavior.origin;
    if (origin.kind === 's3') return this.toBucket(req, res, origin, behavior, { method, uri, query, headers, viewerIp, requestId }, record);
    const originHeaders = this.originHeaders(headers, behavior, origin, viewerIp, requestId);
    if (origin.kind === 'api') {
      const timeout = this.options.originReadTimeoutMs ?? origin.readTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        origins.gateway.handle({ method, target: `${origin.originPath}${uri}${query ? `?${query}` : ''}`, headers: originHeaders, body: req, sourceIp: CLOUDFRONT_EDGE_ADDRESS }),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeout))),
      ]);
      clearTimeout(timer);
      if (result === 'timeout') {
        record('cloudfront', 504);
        return this.cloudFrontError(res, 504, 'CloudFront attempted to establish a connection with the origin, but either the attempt failed or the origin closed the connection.');
      }
      let status = result.status;
      let responseHeaders = result.headers;
      if (behavior.originResponseEdge)
        ({ status, headers: responseHeaders } = await this.originResponse(method, uri, query, originHeaders, status, responseHeaders, viewerIp, requestId));
      record('api', status);
      this.respond(res, status, responseHeaders, requestId, !result.bodyConsumed);
      res.end(result.body);
      if (!result.bodyConsumed) req.resume();
      return;
    }
    await this.toLoadBalancer(req, res, origin, origins.uploadServiceUrl, method, uri, query, originHeaders, requestId, record);
  }

  /** Runs the viewer-request function; returns the (possibly changed) request or its own response. */
  private viewerRequest(
    code: string,
    r: { method: string; uri: string; query: string; headers: HeaderList; viewerIp: string; requestId: string },
  ): { uri: string; query: string; headers: HeaderList } | { response: { statusCode: number; headers?: Record<string, { value: string }>; body?: unknown } } {
    const functionHeaders = toFunctionHeaders(r.headers);
    const fullHost = functionHeaders.host?.value ?? '';
    // CloudFront's Host never has a port; the function sees a stand-in name so that every value
    // it derives from the Host can be found and given this listener's origin afterwards.
    if (functionHeaders.host) functionHeaders.host = { value: PUBLIC_HOST_STAND_IN };
    const querystring = toFunctionQuery(r.query);
    const event = {
      version: '1.0',
      context: { distributionDomainName: this.edgeHost, distributionId: this.distributionId, eventType: 'viewer-request', requestId: r.requestId },
      viewer: { ip: r.viewerIp },
      request: { method: r.method, uri: r.uri, querystring, headers: functionHeaders, cookies: {} },
    };
    const out = cloudFrontFunction(code)(event);
    if ('statusCode' in out) return { response: out };
    // The local adaptation: values derived from the Host get this listener's scheme, host and port.
    const hostWithPort = fullHost.includes(':') ? fullHost : `${fullHost}:${this.port}`;
    for (const h of Object.values(out.headers)) h.value = localizePublicHost(h.value, { scheme: this.scheme, hostPort: hostWithPort });
    if (out.headers.host) out.headers.host = { value: fullHost };
    const query = Object.entries(out.querystring)
      .flatMap(([k, v]) => (v.multiValue ?? [{ value: v.value }]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x.value)}`))
      .join('&');
    return { uri: out.uri, query: query === new URLSearchParams(r.query).toString() ? r.query : query, headers: fromFunctionHeaders(out.headers) };
  }

  private originHeaders(headers: HeaderList, behavior: BehaviorModel, origin: Exclude<OriginModel, { kind: 's3' }>, viewerIp: string, requestId: string): HeaderList {
    const hop = HOP_BY_HOP.filter((h) => h !== 'transfer-encoding');
    let out = withoutHeaders(headers, [...hop, ...origin.customHeaders.map(([n]) => n), ...(behavior.forwardsAuthorization ? [] : ['authorization'])]);
    if (behavior.originRequestPolicy !== 'AllViewer') out = [...withoutHeaders(out, ['host']), ['Host', origin.domainName]];
    const forwardedFor = out.filter(([n]) => n.toLowerCase() === 'x-forwarded-for').map(([, v]) => v);
    out = withoutHeaders(out, ['x-forwarded-for']);
    out.push(...origin.customHeaders, ['X-Forwarded-For', [...forwardedFor, viewerIp].join(', ')], ['Via', `1.1 ${this.edgeHost} (CloudFront)`], ['X-Amz-Cf-Id', requestId]);
    return out;
  }

  private async originResponse(
    method: string,
    uri: string,
    query: string,
    requestHeaders: HeaderList,
    status: number,
    headers: HeaderList,
    viewerIp: string,
    requestId: string,
  ): Promise<{ status: number; headers: HeaderList }> {
    const event = {
      Records: [
        {
          cf: {
            config: { distributionDomainName: this.edgeHost, distributionId: this.distributionId, eventType: 'origin-response', requestId },
            request: { clientIp: viewerIp, headers: toEdgeHeaders(requestHeaders), method, querystring: query, uri },
            response: { status: String(status), statusDescription: '', headers: toEdgeHeaders(headers) },
          },
        },
      ],
    };
    const out = (await this.options.originResponse(event)) as { status?: string; headers?: CloudFrontHeaders };
    return { status: Number(out.status ?? status), headers: fromEdgeHeaders(out.headers ?? {}) };
  }

  private respond(res: ServerResponse, status: number, headers: HeaderList, requestId: string, close: boolean): void {
    const out = withoutHeaders(headers, HOP_BY_HOP);
    out.push(
      ['Via', `1.1 ${this.edgeHost} (CloudFront)`],
      ['X-Cache', status >= 400 ? 'Error from cloudfront' : 'Miss from cloudfront'],
      ['X-Amz-Cf-Pop', 'HARNESS1'],
      ['X-Amz-Cf-Id', requestId],
    );
    if (close) out.push(['Connection', 'close']);
    res.writeHead(status, toOutgoing(out));
  }

  private cloudFrontError(res: ServerResponse, status: number, message: string): void {
    const body = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN"><HTML><BODY><H1>${status} ERROR</H1><H2>The request could not be satisfied.</H2>${message}</BODY></HTML>`;
    res.writeHead(status, { 'content-type': 'text/html', 'content-length': String(Buffer.byteLength(body)), 'x-cache': 'Error from cloudfront', connection: 'close' });
    res.end(body);
  }

  /**
   * An S3 origin without origin access control: the viewer's path and query (the presigned
   * signature) go to the bucket, with CloudFront's Range forwarding and no other viewer header
   * (the behaviour's origin request policy forwards none, its cache policy keys on none, so
   * Authorization never reaches S3). Then the viewer-response Function, on answers below 400.
   */
  private async toBucket(
    req: IncomingMessage,
    res: ServerResponse,
    origin: Extract<OriginModel, { kind: 's3' }>,
    behavior: BehaviorModel,
    r: { method: string; uri: string; query: string; headers: HeaderList; viewerIp: string; requestId: string },
    record: (origin: FrontDoorRecord['origin'], status: number) => void,
  ): Promise<void> {
    const s3 = this.origins?.s3;
    const bucket = s3?.buckets.get(origin.bucketId);
    if (!s3 || !bucket) throw new Error(`harness: no emulated bucket for ${origin.bucketId}`);
    req.resume();
    const target = new URL(s3.endpoint);
    const viewer = (name: string): HeaderList => r.headers.filter(([n]) => n.toLowerCase() === name);
    // Range as CloudFront forwards range GETs; Authorization only when the cache policy keys on it.
    const upstreamHeaders: HeaderList = [...origin.customHeaders, ...viewer('range'), ...(behavior.forwardsAuthorization ? viewer('authorization') : [])];
    await new Promise<void>((resolve) => {
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: r.method,
          path: `/${encodeURIComponent(bucket)}${r.uri}${r.query ? `?${r.query}` : ''}`,
          headers: toOutgoing(upstreamHeaders),
          agent: this.agent,
        },
        (up) => {
          const status = up.statusCode ?? 502;
          let headers = withoutHeaders(fromRawHeaders(up.rawHeaders), ['x-amz-request-id', 'x-amz-id-2', 'server']);
          if (behavior.viewerResponseCode !== undefined && status < 400) {
            const event = {
              version: '1.0',
              context: { distributionDomainName: this.edgeHost, distributionId: this.distributionId, eventType: 'viewer-response', requestId: r.requestId },
              viewer: { ip: r.viewerIp },
              request: { method: r.method, uri: r.uri, querystring: toFunctionQuery(r.query), headers: toFunctionHeaders(r.headers), cookies: {} },
              response: { statusCode: status, statusDescription: up.statusMessage ?? '', headers: toFunctionHeaders(headers), cookies: {} },
            };
            const out = cloudFrontFunction(behavior.viewerResponseCode)(event) as unknown as CfFunctionResponse;
            headers = fromFunctionHeaders(out.headers);
          }
          record('s3', status);
          this.respond(res, status, headers, r.requestId, false);
          up.pipe(res);
          up.on('end', () => resolve());
          up.on('error', () => {
            res.destroy();
            resolve();
          });
        },
      );
      upstream.on('error', (err) => {
        if (!res.headersSent) {
          record('cloudfront', 502);
          this.cloudFrontError(res, 502, `CloudFront wasn't able to connect to the origin (${err.message}).`);
        } else res.destroy();
        resolve();
      });
      upstream.end();
    });
  }

  /** The internal load balancer: its rules, then the upload service; streamed both ways. */
  private async toLoadBalancer(
    req: IncomingMessage,
    res: ServerResponse,
    origin: Extract<OriginModel, { kind: 'upload-service' }>,
    base: string | undefined,
    method: string,
    uri: string,
    query: string,
    headers: HeaderList,
    requestId: string,
    record: (origin: FrontDoorRecord['origin'], status: number) => void,
  ): Promise<void> {
    if (!origin.rules.some((r) => r.pathPatterns.some((p) => pathPatternMatches(p, uri)))) {
      const d = origin.defaultResponse;
      record('load-balancer', d.status);
      this.respond(
        res,
        d.status,
        [
          ['Content-Type', d.contentType],
          ['Content-Length', String(Buffer.byteLength(d.body))],
          ['Server', 'awselb/2.0'],
        ],
        requestId,
        !req.complete,
      );
      res.end(d.body);
      req.resume();
      return;
    }
    if (!base) throw new Error('harness: the template has an upload service, but none is running');
    const target = new URL(base);
    const forwardedFor = headers.filter(([n]) => n.toLowerCase() === 'x-forwarded-for').map(([, v]) => v);
    const lbHeaders: HeaderList = [
      ...withoutHeaders(headers, ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-port']),
      ['X-Forwarded-For', [...forwardedFor, CLOUDFRONT_EDGE_ADDRESS].join(', ')],
      ['X-Forwarded-Proto', 'http'],
      ['X-Forwarded-Port', '80'],
      ['X-Amzn-Trace-Id', `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`],
    ];
    const timeoutMs = this.options.originReadTimeoutMs ?? origin.readTimeoutMs;
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let responded = false;
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method, path: `${uri}${query ? `?${query}` : ''}`, headers: toOutgoing(lbHeaders), agent: this.agent },
        (up) => {
          clearTimeout(timer);
          responded = true;
          const status = up.statusCode ?? 502;
          record('upload-service', status);
          // An answer before the whole body was sent (a refused chunk): pass it on, close after it.
          const early = !req.complete;
          if (early) req.unpipe(upstream);
          this.respond(res, status, fromRawHeaders(up.rawHeaders), requestId, early);
          up.pipe(res);
          up.on('end', () => {
            if (early) req.resume();
            resolve();
          });
          up.on('error', () => {
            res.destroy();
            resolve();
          });
        },
      );
      upstream.on('error', (err) => {
        clearTimeout(timer);
        if (responded) return; // the origin answered and closed while the body was still being sent
        if (!res.headersSent) {
          record('cloudfront', 502);
          this.cloudFrontError(res, 502, `CloudFront wasn't able to connect to the origin (${err.message}).`);
          req.resume();
        } else res.destroy();
        resolve();
      });
      // CloudFront's origin read timeout runs from the moment the request has been sent.
      upstream.on('finish', () => {
        if (responded) return;
        timer = setTimeout(() => {
          record('cloudfront', 504);
          upstream.destroy(new Error('origin read timeout'));
          if (!res.headersSent) this.cloudFrontError(res, 504, 'The origin did not respond within the origin read timeout.');
        }, timeoutMs);
      });
      req.on('aborted', () => upstream.destroy(new Error('viewer aborted')));
      req.pipe(upstream);
    });
  }
}
