/**
 * The REST API stage, as API Gateway runs it for this template, in this order:
 *
 *   1. stage      the first path segment must be the stage (`/registry/v2/...`), else 403
 *   2. body       at most 10 MB (10485760 bytes), else 413 "HTTP content length exceeded
 *                 10485760 bytes." as plain text: API Gateway's front end answers it before
 *                 any gateway response applies (first-hand capture through CloudFront; a
 *                 REQUEST_TOO_LARGE gateway response does not change it)
 *   3. routing    ./router.ts; no resource or no method: MISSING_AUTHENTICATION_TOKEN
 *   4. authorizer ./authorizer.ts (UNAUTHORIZED / ACCESS_DENIED / AUTHORIZER_FAILURE)
 *   5. API key    `x-api-key` must be a key a usage plan admits to the stage: INVALID_API_KEY
 *   6. event      ./proxy-event.ts; an event over Lambda's 6 MB (6291456-byte) invoke payload
 *                 never reaches the function: REQUEST_TOO_LARGE (413; what API Gateway answers
 *                 when the Lambda invoke is refused with 413, `{"message": "Request Too Long"}`
 *                 by default, the stack's SIZE_INVALID body here)
 *   7. invoke     ./lambda-runtime.ts; the integration timeout (29 s) is INTEGRATION_TIMEOUT
 *                 (504); a function error, a malformed result or a result over 6291556 bytes is
 *                 INTEGRATION_FAILURE answered 502 "Internal server error"
 *   8. response   statusCode, headers merged with multiValueHeaders, base64 bodies decoded
 *                 (binary media types), headers renamed/dropped per ./headers.ts, Content-Type
 *                 application/json when the function set none, API Gateway's own Content-Length
 *                 (0 on HEAD), Date and request id headers.
 *
 * Gateway responses render from the template (./gateway-response.ts). Not emulated: stage
 * throttling and usage plan quotas, authorizer result caching, request validators, WAF.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiModel, MethodModel } from './api-model.js';
import { authorizerContext, cognitoScopesAllow, type AuthorizeOption, type AuthorizerResult } from './authorizer.js';
import { gatewayResponse, type GatewayContext, type GatewayResponseType } from './gateway-response.js';
import { fromRawHeaders, headerValue, lambdaEventHeaders, remapLambdaResponseHeaders, toOutgoing, withoutHeaders, type HeaderList } from './headers.js';
import type { InvokeOutcome, LambdaInvoker } from './lambda-runtime.js';
import { buildProxyEvent, isBinary } from './proxy-event.js';
import { matchResource, methodOf } from './router.js';

/** API Gateway's request payload limit. */
export const API_BODY_LIMIT = 10 * 1024 * 1024;
/** Lambda's synchronous invoke payload limit for the event... */
export const LAMBDA_REQUEST_LIMIT = 6 * 1024 * 1024;
/** ...and for the result (Lambda's own error message names 6291556 bytes). */
export const LAMBDA_RESPONSE_LIMIT = 6_291_556;

export interface GatewayRequest {
  method: string;
  /** Path and query as received, stage included: `/registry/v2/a/tags/list?n=2`. */
  target: string;
  headers: HeaderList;
  body: AsyncIterable<Uint8Array>;
  /** The immediate caller's address (CloudFront's, behind the front door). */
  sourceIp: string;
  protocol?: string;
}

export interface GatewayResult {
  status: number;
  headers: HeaderList;
  body: Buffer;
  /** False when the answer came before the whole request body was read (the connection must close). */
  bodyConsumed: boolean;
}

export interface AccessLogEntry {
  requestId: string;
  method: string;
  /** Stage path, as `$context.path` logs it. */
  path: string;
  status: number;
  resourcePath?: string;
  /** The function that answered, when one did. */
  functionId?: string;
  /** `$context.error.responseType` when API Gateway answered itself. */
  errorType?: string;
}

export interface RestApiGatewayOptions {
  region: string;
  accountId: string;
  authorize?: AuthorizeOption;
  /** Overrides every method's integration timeout (tests). */
  integrationTimeoutMs?: number;
}

class BodyTooLarge extends Error {}

async function readBody(body: AsyncIterable<Uint8Array>, declared: string | undefined): Promise<Buffer> {
  if (declared !== undefined && Number(declared) > API_BODY_LIMIT) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > API_BODY_LIMIT) throw new BodyTooLarge();
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks);
}

export class RestApiGateway {
  readonly domainName: string;
  readonly accessLog: AccessLogEntry[] = [];

  constructor(
    readonly model: ApiModel,
    private readonly runtime: LambdaInvoker,
    private readonly options: RestApiGatewayOptions,
  ) {
    this.domainName = `${model.apiId}.execute-api.${options.region}.amazonaws.com`;
  }

  async handle(req: GatewayRequest): Promise<GatewayResult> {
    const requestId = randomUUID();
    const started = Date.now();
    const q = req.target.indexOf('?');
    const stagePath = q === -1 ? req.target : req.target.slice(0, q);
    const query = q === -1 ? '' : req.target.slice(q + 1);
    const method = req.method.toUpperCase();
    const log = (status: number, extra: Partial<AccessLogEntry> = {}) => this.accessLog.push({ requestId, method, path: stagePath, status, ...extra });

    const stagePrefix = `/${this.model.stageName}`;
    if (stagePath !== stagePrefix && !stagePath.startsWith(`${stagePrefix}/`)) {
      log(403, { errorType: 'FORBIDDEN' });
      return this.plain(403, requestId, '{"message":"Forbidden"}', 'application/json', true, [['x-amzn-ErrorType', 'ForbiddenException']]);
    }
    const path = stagePath.slice(stagePrefix.length) || '/';

    let body: Buffer;
    try {
      body = await readBody(req.body, headerValue(req.headers, 'content-length'));
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      log(413, { errorType: 'REQUEST_TOO_LARGE' });
      return this.plain(413, requestId, `HTTP content length exceeded ${API_BODY_LIMIT} bytes.`, 'text; charset=utf-8', false);
    }

    const context: GatewayContext = {
      requestId,
      extendedRequestId: randomBytes(12).toString('base64'),
      path: stagePath,
      stage: this.model.stageName,
      httpMethod: method,
      domainName: this.domainName,
      apiId: this.model.apiId,
      accountId: this.options.accountId,
      'identity.sourceIp': req.sourceIp,
      'identity.userAgent': headerValue(req.headers, 'user-agent'),
      requestTimeEpoch: String(started),
    };
    const query_ = new URLSearchParams(query);
    const fail = (type: GatewayResponseType, pathParameters: Record<string, string>, extra: { status?: number; message?: string } = {}): GatewayResult => {
      const answer = gatewayResponse(this.model.gatewayResponses, type, { headers: req.headers, query: query_, pathParameters, context }, extra);
      log(answer.status, { errorType: type, ...(context.resourcePath && { resourcePath: context.resourcePath }) });
      return this.finish(answer.status, [...answer.headers], answer.body, requestId, method, true);
    };

    const match = matchResource(this.model.root, path);
    const methodModel = match && methodOf(match.resource, method);
    if (!match || !methodModel) return fail('MISSING_AUTHENTICATION_TOKEN', {});
    context.resourcePath = methodModel.resourcePath;
    context.resourceId = methodModel.resourceId;

    // The event (without body) first: a REQUEST authorizer is called with it.
    const eventHeaders: HeaderList = [
      ...lambdaEventHeaders(req.headers).filter(([n]) => !/^x-forwarded-(for|port|proto)$/i.test(n)),
      ['X-Amzn-Trace-Id', `Root=1-${Math.floor(started / 1000).toString(16)}-${randomBytes(12).toString('hex')}`],
      ['X-Forwarded-For', [headerValue(req.headers, 'x-forwarded-for'), req.sourceIp].filter(Boolean).join(', ')],
      ['X-Forwarded-Port', '443'],
      ['X-Forwarded-Proto', 'https'],
    ];
    const apiKey = headerValue(req.headers, 'x-api-key');
    const eventInput = {
      httpMethod: method,
      path,
      query,
      stage: this.model.stageName,
      headers: eventHeaders,
      body,
      binaryMediaTypes: this.model.binaryMediaTypes,
      resourcePath: methodModel.resourcePath,
      resourceId: methodModel.resourceId,
      pathParameters: match.pathParameters,
      requestId,
      extendedRequestId: context.extendedRequestId as string,
      sourceIp: req.sourceIp,
      apiId: this.model.apiId,
      accountId: this.options.accountId,
      domainName: this.domainName,
      requestTimeEpoch: started,
      protocol: req.protocol ?? 'HTTP/1.1',
      ...(methodModel.apiKeyRequired && apiKey !== undefined && { apiKey }),
    };

    const authorized = await this.authorize(methodModel, req.headers, eventInput);
    if (authorized.kind === 'refused') return fail(authorized.type, match.pathParameters);
    if (authorized.claims) for (const [k, v] of Object.entries(authorized.claims)) context[`authorizer.claims.${k}`] = v;
    if (authorized.principalId) context['authorizer.principalId'] = authorized.principalId;

    if (methodModel.apiKeyRequired && this.model.apiKeySource === 'HEADER' && (apiKey === undefined || !this.model.apiKeys.has(apiKey))) {
      return fail('INVALID_API_KEY', match.pathParameters);
    }

    const event = buildProxyEvent({ ...eventInput, ...(authorized.authorizer && { authorizer: authorized.authorizer }) });
    const payload = JSON.stringify(event);
    if (Buffer.byteLength(payload) > LAMBDA_REQUEST_LIMIT) return fail('REQUEST_TOO_LARGE', match.pathParameters);

    const outcome = await this.runtime.invoke(
      methodModel.functionId,
      payload,
      requestId,
      Math.min(this.options.integrationTimeoutMs ?? methodModel.integrationTimeoutMs, methodModel.integrationTimeoutMs),
    );
    const result = this.translate(outcome, req.headers);
    if (result === 'timeout') return fail('INTEGRATION_TIMEOUT', match.pathParameters);
    if (result === 'failed') return fail('INTEGRATION_FAILURE', match.pathParameters, { status: 502 });
    log(result.status, { resourcePath: methodModel.resourcePath, functionId: methodModel.functionId });
    return this.finish(result.status, result.headers, result.body, requestId, method, true, true);
  }

  private async authorize(
    method: MethodModel,
    headers: HeaderList,
    eventInput: Parameters<typeof buildProxyEvent>[0],
  ): Promise<{ kind: 'refused'; type: GatewayResponseType } | { kind: 'allowed'; authorizer?: Record<string, unknown>; claims?: Record<string, string>; principalId?: string }> {
    const hook = this.options.authorize;
    const authorizer = method.authorizer;
    if (method.authorizationType === 'NONE' || !authorizer || hook === 'none') return { kind: 'allowed' };
    if (method.authorizationType === 'AWS_IAM')
      throw new Error(`harness: ${method.httpMethod} ${method.resourcePath} uses AWS_IAM authorization, which the harness does not emulate`);
    const identity = authorizer.identitySources.map((source) => {
      const m = /^method\.request\.header\.(.+)$/.exec(source);
      if (!m) throw new Error(`harness: authorizer ${authorizer.name} reads ${source}; only header identity sources are supported`);
      return headerValue(headers, m[1] as string) ?? '';
    });
    // API Gateway refuses a request without the identity source before any authorizer runs.
    if (identity.some((v) => v.trim() === '')) return { kind: 'refused', type: 'UNAUTHORIZED' };
    if (hook === undefined) return { kind: 'allowed', principalId: 'harness-unverified' }; // PLACEHOLDER: not verified
    let result: AuthorizerResult;
    try {
      const { body: _body, isBase64Encoded: _b64, ...event } = buildProxyEvent({ ...eventInput, body: Buffer.alloc(0) });
      result = await hook({
        authorizer,
        method: { httpMethod: method.httpMethod, resourcePath: method.resourcePath, scopes: method.scopes, ...(method.operationName && { operationName: method.operationName }) },
        identity,
        event,
      });
    } catch {
      return { kind: 'refused', type: 'AUTHORIZER_FAILURE' };
    }
    if (result === 'unauthorized') return { kind: 'refused', type: 'UNAUTHORIZED' };
    if (result === 'denied') return { kind: 'refused', type: 'ACCESS_DENIED' };
    if (authorizer.type === 'COGNITO_USER_POOLS' && !cognitoScopesAllow(method.scopes, result.claims)) return { kind: 'refused', type: 'UNAUTHORIZED' };
    return { kind: 'allowed', authorizer: authorizerContext(authorizer.type, result), principalId: result.principalId, ...(result.claims && { claims: result.claims }) };
  }

  /** A Lambda proxy result as API Gateway turns it into a response (before its own headers). */
  private translate(outcome: InvokeOutcome, requestHeaders: HeaderList): { status: number; headers: HeaderList; body: Buffer } | 'timeout' | 'failed' {
    if (outcome.kind === 'timeout') return 'timeout';
    if (outcome.kind === 'error') return 'failed';
    if (Buffer.byteLength(outcome.payload) > LAMBDA_RESPONSE_LIMIT) return 'failed';
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(outcome.payload) as Record<string, unknown>;
    } catch {
      return 'failed';
    }
    const allowed = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded', 'cookies']);
    if (r === null || typeof r !== 'object' || Array.isArray(r) || Object.keys(r).some((k) => !allowed.has(k))) return 'failed';
    const status = r.statusCode === undefined ? 200 : Number(r.statusCode);
    if (!Number.isInteger(status) || status < 100 || status > 599) return 'failed';
    const headers: HeaderList = [];
    const multi = (r.multiValueHeaders ?? {}) as Record<string, unknown>;
    const single = (r.headers ?? {}) as Record<string, unknown>;
    if (typeof multi !== 'object' || typeof single !== 'object') return 'failed';
    for (const [name, values] of Object.entries(multi)) {
      if (!Array.isArray(values)) return 'failed';
      for (const v of values) headers.push([name, String(v)]);
    }
    const inMulti = new Set(Object.keys(multi).map((k) => k.toLowerCase()));
    for (const [name, value] of Object.entries(single)) {
      if (typeof value === 'object' && value !== null) return 'failed';
      if (!inMulti.has(name.toLowerCase())) headers.push([name, String(value)]);
    }
    const text = r.body === undefined || r.body === null ? '' : String(r.body);
    const decode = r.isBase64Encoded === true && isBinary(headerValue(requestHeaders, 'accept')?.split(',')[0], this.model.binaryMediaTypes);
    return { status, headers: remapLambdaResponseHeaders(headers), body: decode ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8') };
  }

  private finish(status: number, headers: HeaderList, body: Buffer, requestId: string, method: string, bodyConsumed: boolean, fromIntegration = false): GatewayResult {
    const out: HeaderList = [...headers];
    if (!out.some(([n]) => n.toLowerCase() === 'content-type')) out.push(['Content-Type', 'application/json']);
    const payload = method === 'HEAD' ? Buffer.alloc(0) : body;
    out.push(['Date', new Date().toUTCString()], ['Content-Length', String(payload.length)], ['x-amzn-RequestId', requestId]);
    if (fromIntegration) out.push(['x-amz-apigw-id', randomBytes(12).toString('base64').slice(0, 16)], ['X-Amzn-Trace-Id', `Root=1-${randomBytes(12).toString('hex')}`]);
    return { status, headers: out, body: payload, bodyConsumed };
  }

  private plain(status: number, requestId: string, text: string, contentType: string, bodyConsumed: boolean, extra: HeaderList = []): GatewayResult {
    return this.finish(status, [['Content-Type', contentType], ...extra], Buffer.from(text), requestId, 'GET', bodyConsumed);
  }

  /** Serves the stage at its own URL (the execute-api endpoint, which only CloudFront should call). */
  async listen(host = '127.0.0.1', port = 0): Promise<{ url: string; close(): Promise<void> }> {
    const server: Server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
      this.handle({
        method: req.method ?? 'GET',
        target: req.url ?? '/',
        headers: withoutHeaders(fromRawHeaders(req.rawHeaders), ['expect']),
        body: req,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        protocol: `HTTP/${req.httpVersion}`,
      }).then(
        (r) => {
          res.writeHead(r.status, toOutgoing(r.bodyConsumed ? r.headers : [...r.headers, ['Connection', 'close']]));
          res.end(r.body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain', connection: 'close' });
          res.end(`harness error: ${(err as Error)?.stack ?? String(err)}`);
        },
      );
    });
    server.on('clientError', (_e, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const { port: bound } = server.address() as AddressInfo;
    return {
      url: `http://${host}:${bound}/${this.model.stageName}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }
}
