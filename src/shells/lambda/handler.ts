/**
 * The Lambda shell: one handler factory for every operation, the twin of the node:http shell
 * (../http/server.ts). It translates the REST proxy event (./request.ts), hands it to
 * Registry.handle, the core's only entry (route, authorization gate, operation, audit), and
 * translates the answer (./response.ts); middy middlewares around it log the request, keep 401s
 * out, map errors and enforce input limits. It decides nothing about the registry.
 *
 * Each `lambdas/<operation>.ts` builds its handler from its own operation descriptor and the
 * ports that operation needs (./ports/*), so that its bundle carries that operation and those
 * clients only: the ping's creates no AWS client at all. The registry serves that one
 * operation: a request for another route (a wiring mistake, or a path API Gateway matched more
 * loosely than the route table) gets the spec's 404, as an unknown path does on the node server.
 *
 * With auth on (STOWAGE_AUTH=cognito) the request carries the principal API Gateway's authorizer
 * verified (./authorizer-principal.ts): the core's gate decides per repository (403 DENIED) with
 * the entry's auth set (./auth/) and writes the audit line. With auth off the gate simply allows
 * and the gateway alone decides.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Registry } from '../../core/registry.js';
import type { OperationDescriptor } from '../../core/operation.js';
import { toIncomingRequest, type ProxyEventLike } from './request.js';
import { toProxyResult } from './response.js';
import { observedHandle, requestLog } from './middleware/request-log.js';
import { noUnauthorized } from './middleware/no-unauthorized.js';
import { errorMapping } from './middleware/error-mapping.js';
import { inputLimits } from './middleware/input-limits.js';
import type { LambdaContainer } from './registry.js';
import type { Principal } from '../../ports/principal.js';
import type { RequestObserver } from '../observe.js';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The parts of an event beyond the proxy request that auth and audit read. */
type AuthEventParts = {
  requestContext?: { authorizer?: Record<string, unknown> | null; requestId?: string; identity?: { sourceIp?: string | null } } | null;
};

/** The bare handler: event in, result out; the core answers every RegistryError, anything else throws. */
export function operationHandler(
  registry: () => Registry,
  principalOf: () => ((event: AuthEventParts) => Principal | undefined) | undefined = () => undefined,
): (event: ProxyEventLike & AuthEventParts, context?: Pick<Context, 'awsRequestId'>) => Promise<APIGatewayProxyResult> {
  return async (event, context) => {
    const req = toIncomingRequest(event);
    const principal = principalOf()?.(event);
    const res = await observedHandle(event, context, (requestId) =>
      registry().handle({
        ...req,
        ...(principal && { principal }),
        remoteAddress: event.requestContext?.identity?.sourceIp ?? null,
        ...(requestId && { requestId }),
      }),
    );
    return toProxyResult(res, req.method === 'HEAD');
  };
}

export interface LambdaHandlerOptions {
  /**
   * The registry and claims settings, built once per container on the first invocation, chosen
   * by the entry as its ports and auth set are: `registryContainer(ports, auth)`
   * (./registry-container.ts: the whole Lambda configuration), `pingContainer`
   * (./ping-container.ts: the few settings the ping reads), `tokenContainer`. Required unless
   * `registry` is given.
   */
  container?: (operation: OperationDescriptor) => LambdaContainer;
  /**
   * The request metrics, chosen by the entry (CloudWatch embedded metrics: `emfMetrics`,
   * ../observe-emf.ts). @default none: the ping publishes none (API Gateway counts its calls)
   */
  metrics?: () => RequestObserver;
  /** A ready registry (tests); auth claims are then not read unless `claims` is given. */
  registry?: () => Registry;
  /** How the authorizer's principal is read when the core authorizes. @default the container's */
  principalOf?: () => ((event: AuthEventParts) => Principal | undefined) | undefined;
  /**
   * Turn 401s into 403 DENIED (./middleware/no-unauthorized.ts). Off for the token endpoint,
   * whose 401 for a bad credential carries no challenge and must stay a 401.
   * @default true
   */
  rewriteUnauthorized?: boolean;
  /** Request log lines. @default the process logger (src/log) */
  log?: (line: string) => void;
  /** Unexpected errors. @default the process logger (src/log) */
  logError?: (line: string) => void;
  /** @default LAMBDA_MAX_BODY_BYTES (4.5 MiB) */
  maxBodyBytes?: number;
}

const noContainer = (): never => {
  throw new Error('lambdaHandler: pass a container (or a registry)');
};

/**
 * The handler a `lambdas/<operation>.ts` entry exports. Middleware order matters: the log comes
 * first so it sees the final status; the 401 rewrite sits before the error mapping so that its
 * onError runs after the mapping has made a response; the limits run last among the `before`s.
 */
export function lambdaHandler(operation: OperationDescriptor, options: LambdaHandlerOptions = {}): ProxyHandler {
  let built: LambdaContainer | undefined;
  const container = () => (built ??= (options.container ?? noContainer)(operation));
  const registry = options.registry ?? (() => container().registry);
  const principalOf = options.principalOf ?? (options.registry ? () => undefined : () => container().principalOf);
  const handler = middy(operationHandler(registry, principalOf)).use([
    requestLog({ ...(options.log && { log: options.log }), ...(options.metrics && { metrics: options.metrics() }) }),
    ...(options.rewriteUnauthorized === false ? [] : [noUnauthorized()]),
    errorMapping(options.logError ? { log: options.logError } : {}),
    inputLimits(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
  ]);
  return handler;
}
