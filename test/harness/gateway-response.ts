/**
 * The answers API Gateway gives by itself: the template's gateway response for the error type,
 * else the template's DEFAULT_4XX / DEFAULT_5XX, else API Gateway's built-in
 * `{"message": "..."}`. Status: the response's StatusCode, else the error's own. Headers come from
 * the response's mappings ('literal', method.request.header|querystring|path.X, context.X,
 * stageVariables.X; a mapping whose source is absent sets nothing); the body is the
 * application/json template with `$context.*` references substituted (a VTL subset: plain
 * references only, unknown ones left as written, as VTL prints them).
 */
import type { GatewayResponseModel } from './api-model.js';
import { headerValue, type HeaderList } from './headers.js';

export type GatewayResponseType =
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'EXPIRED_TOKEN'
  | 'INVALID_API_KEY'
  | 'REQUEST_TOO_LARGE'
  | 'THROTTLED'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'AUTHORIZER_FAILURE'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'API_CONFIGURATION_ERROR';

/** API Gateway's own status, message and x-amzn-ErrorType per response type. */
export const BUILT_IN: Record<GatewayResponseType, { status: number; message: string; errorType: string }> = {
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token', errorType: 'MissingAuthenticationTokenException' },
  UNAUTHORIZED: { status: 401, message: 'Unauthorized', errorType: 'UnauthorizedException' },
  ACCESS_DENIED: { status: 403, message: 'User is not authorized to access this resource', errorType: 'AccessDeniedException' },
  EXPIRED_TOKEN: { status: 403, message: 'The security token included in the request is expired', errorType: 'ExpiredTokenException' },
  INVALID_API_KEY: { status: 403, message: 'Forbidden', errorType: 'ForbiddenException' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long', errorType: 'BadRequestException' },
  THROTTLED: { status: 429, message: 'Too Many Requests', errorType: 'TooManyRequestsException' },
  INTEGRATION_FAILURE: { status: 504, message: 'Internal server error', errorType: 'InternalServerErrorException' },
  INTEGRATION_TIMEOUT: { status: 504, message: 'Endpoint request timed out', errorType: 'InternalServerErrorException' },
  AUTHORIZER_FAILURE: { status: 500, message: 'Internal server error', errorType: 'AuthorizerFailureException' },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, message: 'Internal server error', errorType: 'AuthorizerConfigurationException' },
  API_CONFIGURATION_ERROR: { status: 500, message: 'Internal server error', errorType: 'InternalServerErrorException' },
};

/** What `$context.*` and `context.*` mappings can read. */
export type GatewayContext = Record<string, string | undefined>;

export interface GatewayRequestView {
  headers: HeaderList;
  query: URLSearchParams;
  pathParameters: Record<string, string>;
  context: GatewayContext;
  stageVariables?: Record<string, string>;
}

export interface GatewayAnswer {
  status: number;
  headers: HeaderList;
  body: Buffer;
}

const DEFAULT_TEMPLATE = '{"message":$context.error.messageString}';

/** Renders the response API Gateway gives for `type` (status overrides the type's own, e.g. 502 for a Lambda error). */
export function gatewayResponse(
  responses: ReadonlyMap<string, GatewayResponseModel>,
  type: GatewayResponseType,
  request: GatewayRequestView,
  options: { status?: number; message?: string } = {},
): GatewayAnswer {
  const builtIn = BUILT_IN[type];
  const ownStatus = options.status ?? builtIn.status;
  const configured = responses.get(type) ?? responses.get(ownStatus >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
  const status = configured?.statusCode ?? ownStatus;
  const message = options.message ?? builtIn.message;
  const context: GatewayContext = {
    ...request.context,
    'error.message': message,
    'error.messageString': JSON.stringify(message),
    'error.responseType': type,
    status: String(status),
  };
  const headers: HeaderList = [];
  for (const [name, mapping] of Object.entries(configured?.headers ?? {})) {
    const value = mappedValue(mapping, { ...request, context });
    if (value !== undefined) headers.push([name, value]);
  }
  const templates = configured?.templates ?? {};
  const contentType = 'application/json' in templates || Object.keys(templates).length === 0 ? 'application/json' : (Object.keys(templates)[0] as string);
  const template = templates[contentType] ?? DEFAULT_TEMPLATE;
  if (!headers.some(([n]) => n.toLowerCase() === 'content-type')) headers.push(['Content-Type', contentType]);
  headers.push(['x-amzn-ErrorType', builtIn.errorType]);
  return { status, headers, body: Buffer.from(renderTemplate(template, context)) };
}

/** A header mapping's value, or undefined when its source is absent. */
export function mappedValue(mapping: string, request: GatewayRequestView): string | undefined {
  const literal = /^'(.*)'$/s.exec(mapping);
  if (literal) return literal[1];
  let m = /^method\.request\.header\.(.+)$/.exec(mapping);
  if (m) return headerValue(request.headers, m[1] as string);
  m = /^method\.request\.querystring\.(.+)$/.exec(mapping);
  if (m) return request.query.getAll(m[1] as string).join(',') || undefined;
  m = /^method\.request\.path\.(.+)$/.exec(mapping);
  if (m) return request.pathParameters[m[1] as string];
  m = /^context\.(.+)$/.exec(mapping);
  if (m) return request.context[m[1] as string];
  m = /^stageVariables\.(.+)$/.exec(mapping);
  if (m) return request.stageVariables?.[m[1] as string];
  throw new Error(`harness: unsupported gateway response mapping ${mapping}`);
}

/** Substitutes `$context.a.b` and `${context.a.b}`; unknown references stay as written. */
export function renderTemplate(template: string, context: GatewayContext): string {
  return template.replace(/\$(!?)(?:\{context\.([A-Za-z0-9_.]+)\}|context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*))/g, (whole, quiet: string, braced?: string, plain?: string) => {
    const name = braced ?? (plain as string);
    const value = context[name];
    if (value !== undefined) return value;
    return quiet ? '' : whole;
  });
}
