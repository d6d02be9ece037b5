/**
 * The REST API Lambda proxy event (payload format 1.0) as API Gateway builds it:
 *
 * - `path` is the public path as the client sent it (percent-encoded, no stage);
 *   `requestContext.path` carries the stage prefix (`/registry/v2/...`).
 * - `resource` and `requestContext.resourcePath` are the matched resource with its variables;
 *   `pathParameters` holds their decoded values (null when none).
 * - `headers` has the last value per name, `multiValueHeaders` every value, names as sent;
 *   the query is decoded into `queryStringParameters` / `multiValueQueryStringParameters`
 *   (null when there is none).
 * - A body whose Content-Type matches a binary media type (the stack has `*` / `*`: all of
 *   them) is base64 with `isBase64Encoded: true`; no body is `body: null`.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { HeaderList } from './headers.js';

export interface ProxyEventInput {
  httpMethod: string;
  /** Public path, still percent-encoded, without stage or query. */
  path: string;
  /** Raw query string without `?`. */
  query: string;
  stage: string;
  headers: HeaderList;
  body: Buffer;
  binaryMediaTypes: readonly string[];
  resourcePath: string;
  resourceId: string;
  pathParameters: Record<string, string>;
  requestId: string;
  extendedRequestId: string;
  sourceIp: string;
  apiId: string;
  accountId: string;
  domainName: string;
  apiKey?: string;
  authorizer?: Record<string, unknown>;
  requestTimeEpoch: number;
  protocol: string;
}

/** Whether a Content-Type is one of the API's binary media types (`*` / `*` matches all, an absent type too). */
export function isBinary(contentType: string | undefined, binaryMediaTypes: readonly string[]): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return binaryMediaTypes.some((pattern) => {
    const p = pattern.toLowerCase();
    if (p === '*/*') return true;
    if (p.endsWith('/*')) return type.startsWith(p.slice(0, -1));
    return type === p;
  });
}

function requestTime(epoch: number): string {
  // API Gateway's format: 09/Apr/2015:12:34:56 +0000
  const d = new Date(epoch);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export function buildProxyEvent(input: ProxyEventInput): APIGatewayProxyEvent {
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of input.headers) {
    multiValueHeaders[name] ??= [];
    multiValueHeaders[name].push(value);
  }
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([k, v]) => [k, v[v.length - 1] as string]));
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(input.query)) {
    multiQuery[k] ??= [];
    multiQuery[k].push(v);
  }
  const hasQuery = Object.keys(multiQuery).length > 0;
  const contentType = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  const binary = isBinary(contentType, input.binaryMediaTypes);
  const hasBody = input.body.length > 0;
  const userAgent = Object.entries(headers).find(([k]) => k.toLowerCase() === 'user-agent')?.[1] ?? null;
  return {
    resource: input.resourcePath,
    path: input.path,
    httpMethod: input.httpMethod,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? Object.fromEntries(Object.entries(multiQuery).map(([k, v]) => [k, v[v.length - 1] as string])) : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(input.pathParameters).length > 0 ? { ...input.pathParameters } : null,
    stageVariables: null,
    requestContext: {
      accountId: input.accountId,
      apiId: input.apiId,
      authorizer: (input.authorizer ?? null) as APIGatewayProxyEvent['requestContext']['authorizer'],
      domainName: input.domainName,
      domainPrefix: input.domainName.split('.')[0] as string,
      extendedRequestId: input.extendedRequestId,
      httpMethod: input.httpMethod,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: input.apiKey ?? null,
        apiKeyId: input.apiKey ? 'harness-api-key' : null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: input.sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
      path: `/${input.stage}${input.path}`,
      protocol: input.protocol,
      requestId: input.requestId,
      requestTime: requestTime(input.requestTimeEpoch),
      requestTimeEpoch: input.requestTimeEpoch,
      resourceId: input.resourceId,
      resourcePath: input.resourcePath,
      stage: input.stage,
    },
    body: hasBody ? (binary ? input.body.toString('base64') : input.body.toString('utf8')) : null,
    isBase64Encoded: hasBody && binary,
  };
}
