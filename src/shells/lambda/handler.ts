/**
 * The Lambda shell: one handler per registry operation, the twin of the node:http shell
 * (../http/server.ts). It translates the REST proxy event (./request.ts), checks that the path
 * is this Lambda's own route, runs the core (Registry.run) and translates the answer
 * (./response.ts); middy middlewares around it log the request, keep 401s out, map errors and
 * enforce input limits. It decides nothing about the registry.
 *
 * API Gateway routes by method and resource, so a request reaching the wrong Lambda means a
 * wiring mistake or a path API Gateway matched more loosely than the route table (a greedy
 * variable): it gets the spec's 404, as an unknown path does on the node server.
 *
 * With auth on (STOWAGE_AUTH=cognito) the request goes through Registry.handle with the
 * principal API Gateway's authorizer verified (./authorizer-principal.ts): the core's gate
 * decides per repository (403 DENIED) and writes the audit line. Without it, Registry.run
 * serves the route directly and the gateway's authorizer alone decides.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { RegistryError } from '../../core/errors.js';
import { errorResponse, noEndpoint, type Registry } from '../../core/registry.js';
import type { RegistryResponse } from '../../core/messages.js';
import { matchRoute, type Operation } from '../../core/routes.js';
import { toIncomingRequest, type ProxyEventLike } from './request.js';
import { toProxyResult } from './response.js';
import { requestLog } from './middleware/request-log.js';
import { noUnauthorized } from './middleware/no-unauthorized.js';
import { errorMapping } from './middleware/error-mapping.js';
import { inputLimits } from './middleware/input-limits.js';
import { lambdaContainer } from './registry.js';
import { authorizerPrincipal } from './authorizer-principal.js';
import type { ClaimsOptions } from '../../adapters/aws/cognito-claims.js';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The parts of an event beyond the proxy request that auth reads. */
type AuthEventParts = {
  requestContext?: { authorizer?: Record<string, unknown> | null; requestId?: string; identity?: { sourceIp?: string | null } } | null;
};

/** The bare handler: event in, result out; RegistryErrors become their responses, anything else throws. */
export function operationHandler(
  operation: Operation,
  registry: () => Registry,
  auth: () => ClaimsOptions | undefined = () => undefined,
): (event: ProxyEventLike & AuthEventParts, context?: Pick<Context, 'awsRequestId'>) => Promise<APIGatewayProxyResult> {
  return async (event, context) => {
    const req = toIncomingRequest(event);
    const head = req.method === 'HEAD';
    let res: RegistryResponse;
    try {
      const match = matchRoute(req.method, req.path);
      if (match.kind !== 'match' || match.route.operation !== operation) throw noEndpoint(req.path);
      const claims = auth();
      if (claims) {
        // Handle authorizes (the gate), runs the operation and writes the audit line.
        const principal = authorizerPrincipal(event, claims) ?? undefined;
        const requestId = event.requestContext?.requestId ?? context?.awsRequestId;
        res = await registry().handle(
          { ...req, ...(principal && { principal }), remoteAddress: event.requestContext?.identity?.sourceIp ?? null, ...(requestId && { requestId }) },
          { operation },
        );
      } else {
        res = await registry().run(operation, match.params, {
          route: match.route,
          params: match.params,
          query: req.query,
          headers: req.headers,
          body: req.body,
          actor: null,
        });
      }
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      res = errorResponse(err, head);
    }
    return toProxyResult(res, head);
  };
}

export interface LambdaHandlerOptions {
  /** @default the container's registry, built from the environment on first use */
  registry?: () => Registry;
  /**
   * How the authorizer's claims are read, when the core authorizes (auth on).
   * @default the container's Cognito settings with STOWAGE_AUTH=cognito; none with a `registry` given
   */
  auth?: () => ClaimsOptions | undefined;
  /** Request log lines. @default the process logger (src/log) */
  log?: (line: string) => void;
  /** Unexpected errors. @default the process logger (src/log) */
  logError?: (line: string) => void;
  /** @default LAMBDA_MAX_BODY_BYTES (4.5 MiB) */
  maxBodyBytes?: number;
}

/**
 * The handler a `lambdas/<operation>.ts` entry exports. Middleware order matters: the log comes
 * first so it sees the final status; the 401 rewrite sits before the error mapping so that its
 * onError runs after the mapping has made a response; the limits run last among the `before`s.
 */
export function lambdaHandler(operation: Operation, options: LambdaHandlerOptions = {}): ProxyHandler {
  const registry = options.registry ?? (() => lambdaContainer().registry);
  const auth = options.auth ?? (options.registry ? () => undefined : () => lambdaContainer().cognito);
  const handler = middy(operationHandler(operation, registry, auth)).use([
    requestLog(options.log ? { log: options.log } : {}),
    noUnauthorized(),
    errorMapping(options.logError ? { log: options.logError } : {}),
    inputLimits(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
  ]);
  return handler;
}
