/**
 * API Gateway REST proxy events and Lambda contexts as AWS builds them, for invoking the Lambda
 * handlers in-process: the public path in `path`, the stage only in `requestContext.path`, headers
 * in both maps (the single-value map keeps the last value), the query decoded into both maps, and
 * the body base64-encoded (the API's binary media types are `*` / `*`, so every body is binary).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

export interface ProxyEventInit {
  method: string;
  /** Public path, possibly with a query string: `/v2/app/tags/list?n=2`. */
  url: string;
  headers?: Record<string, string | string[]>;
  body?: Uint8Array | string;
  /** @default 'prod' */
  stage?: string;
  /** Send the body as text (isBase64Encoded false), as API Gateway does for non-binary media types. */
  textBody?: boolean;
}

export function proxyEvent(init: ProxyEventInit): APIGatewayProxyEvent {
  const stage = init.stage ?? 'prod';
  const q = init.url.indexOf('?');
  const path = q === -1 ? init.url : init.url.slice(0, q);
  const search = new URLSearchParams(q === -1 ? '' : init.url.slice(q + 1));
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of search) {
    multiQuery[k] ??= [];
    multiQuery[k].push(v);
  }
  const multiHeaders: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(init.headers ?? {})) multiHeaders[k] = Array.isArray(v) ? v : [v];
  const bytes = init.body === undefined ? undefined : typeof init.body === 'string' ? Buffer.from(init.body) : Buffer.from(init.body);
  if (bytes && !Object.keys(multiHeaders).some((k) => k.toLowerCase() === 'content-length')) multiHeaders['Content-Length'] = [String(bytes.length)];
  const requestId = randomUUID();
  return {
    resource: path,
    path,
    httpMethod: init.method,
    headers: Object.fromEntries(Object.entries(multiHeaders).map(([k, v]) => [k, v[v.length - 1]!])),
    multiValueHeaders: multiHeaders,
    queryStringParameters: search.size ? Object.fromEntries(Object.entries(multiQuery).map(([k, v]) => [k, v[v.length - 1]!])) : null,
    multiValueQueryStringParameters: search.size ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: bytes === undefined ? null : init.textBody ? bytes.toString('utf8') : bytes.toString('base64'),
    isBase64Encoded: bytes !== undefined && !init.textBody,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: init.method,
      identity: {} as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/${stage}${path}`,
      stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'abc123',
      resourcePath: path,
    },
  };
}

export function lambdaContext(awsRequestId: string = randomUUID()): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'stowage-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:stowage-test',
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: '/aws/lambda/stowage-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
