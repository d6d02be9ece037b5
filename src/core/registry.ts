/**
 * The registry core's single entry point, Registry.handle: a request in, a complete response
 * out, through one pipeline (route, authenticate and authorize, run the operation, audit) that
 * every shell uses, so the authorization gate cannot be skipped. Domain errors become the spec's
 * JSON error responses here, in one place, for every shell.
 *
 * A Registry serves the operations it is given (../core/operation.ts): the node server all of
 * them, a Lambda its own one; a route it does not serve is the spec's 404, as an unknown path is.
 */
import { randomUUID } from 'node:crypto';
import { RegistryError } from './errors.js';
import { errorResponse } from './error-response.js';
import { DEFAULT_LIMITS, RegistryContext, type RegistryLimits, type RegistryPorts } from './context.js';
import type { RegistryRequest, RegistryResponse } from './messages.js';
import { validateName } from './names.js';
import { matchRoute, type AnyRoute, type RouteParams } from './routes.js';
import { clientAddressOf } from './client-address.js';
import { auditRecord, shouldAudit } from './auth/audit.js';
import { isAllowed } from './auth/decide.js';
import { gate } from './auth/gate.js';
import type { Principal } from './auth/principal.js';
import type { AuthSettings } from './auth/settings.js';
import type { AuditSink } from '../ports/audit-sink.js';
import type { OperationDescriptor } from './operation.js';

export { errorResponse };

/** The spec's 404 for a path that no route serves (on a Lambda: that this Lambda's route does not serve). */
export function noEndpoint(path: string): RegistryError {
  return new RegistryError('NO_ENDPOINT', `no registry endpoint at ${path.slice(0, 200)}: paths look like /v2/<name>/manifests/<reference>`);
}

export interface IncomingRequest {
  method: string;
  /** Raw path, still percent-encoded, without the query string. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: AsyncIterable<Uint8Array>;
  /** Event actor when auth is off (with auth on, the principal's subject is used). */
  actor?: string | null;
  /** The socket's peer address (the shell's); see RegistryOptions.clientAddressHeader. */
  remoteAddress?: string | null;
  /** The shell's request id (a Lambda's); one is generated otherwise. */
  requestId?: string;
  /**
   * A principal a gateway in front of the shell has already verified (API Gateway's authorizer
   * claims); the Authorization header is then not read again.
   */
  principal?: Principal;
}

export interface RegistryOptions {
  /** Authentication and authorization; absent, every caller may do everything (the loopback default). */
  auth?: AuthSettings;
  /** Where audit lines go; absent, none are written. */
  audit?: AuditSink;
  /** A header a trusted proxy sets to the client's address (rate limits, audit); absent: the socket address. */
  clientAddressHeader?: string;
  /**
   * The token service a token request is answered for; absent: `auth.service`. A Lambda behind
   * the front door answers for the public host the client used, which only the request knows.
   */
  tokenService?: (headers: Record<string, string | undefined>) => string;
}

/**
 * What Registry.handle learned about a request, for the shells' access log and metrics
 * (src/shells/observe.ts): decided here once, so no shell re-derives them.
 */
export interface RequestFacts {
  requestId: string;
  clientAddress: string | null;
  /** The route's operation; null when no route matched (404, 405). */
  operation: string | null;
  /** The route's repository name as the client sent it (at most 256 characters); null without one. */
  repository: string | null;
  /** The verified principal's subject, else the event actor; null when nobody was identified. */
  user: string | null;
}

/** A response with the facts of the request it answers. */
export type HandledResponse = RegistryResponse & { readonly facts: RequestFacts };

/** What a Registry is built with besides its ports and limits. */
export interface RegistrySetup extends RegistryOptions {
  /** The operations served; any other route is the spec's 404. */
  operations: readonly OperationDescriptor[];
}

export class Registry {
  readonly context: RegistryContext;
  private readonly operations: ReadonlyMap<string, OperationDescriptor>;
  private readonly options: RegistryOptions;

  /** Only the ports the operations list are needed; a missing one is refused here, before any request. */
  constructor(ports: Partial<RegistryPorts>, limits: RegistryLimits | undefined, setup: RegistrySetup) {
    const { operations, ...options } = setup;
    for (const op of operations) {
      if (op.kind !== 'registry') continue;
      const absent = op.ports.filter((port) => ports[port] === undefined);
      if (absent.length > 0) throw new Error(`operation ${op.operation} needs the ${absent.join(', ')} port(s), which this registry was not given`);
    }
    this.context = new RegistryContext(ports, limits ?? DEFAULT_LIMITS);
    this.operations = new Map(operations.map((op) => [op.operation, op]));
    this.options = options;
  }

  /**
   * Routes, authenticates, authorizes and runs a request, and writes its audit line. Never
   * throws for bad input: every failure is a response.
   */
  async handle(req: IncomingRequest): Promise<HandledResponse> {
    const head = req.method === 'HEAD';
    const requestId = req.requestId ?? randomUUID();
    const clientAddress = clientAddressOf(req.headers, req.remoteAddress, this.options.clientAddressHeader);
    let route: AnyRoute | null = null;
    let params: RouteParams = {};
    let principal: Principal | null = null;
    let claimed: string | null = null;
    let res: RegistryResponse;
    let error: string | null = null;
    try {
      const match = matchRoute(req.method, req.path);
      const served = match.kind === 'match' ? this.operations.get(match.route.operation) : undefined;
      if (match.kind === 'no-route' || (match.kind === 'match' && !served)) {
        throw noEndpoint(req.path);
      }
      if (match.kind === 'method-not-allowed') {
        throw new RegistryError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; allowed: ${match.allowed.join(', ')}`, {
          allowedMethods: match.allowed,
        });
      }
      route = match.route;
      params = match.params;
      // Admin routes name their repository in the query; from here on it is the route's {name}.
      const nameQuery = 'nameQuery' in route ? route.nameQuery : undefined;
      if (nameQuery) params = { ...params, name: req.query.get(nameQuery) ?? '' };
      const operation = served as OperationDescriptor;
      const auth = this.options.auth;
      if (operation.kind === 'token') {
        if (!auth) throw new RegistryError('NO_ENDPOINT', 'authentication is off on this registry: there is no token endpoint');
        const settings = this.options.tokenService ? { ...auth, service: this.options.tokenService(req.headers) } : auth;
        const outcome = await operation.run(settings, { method: req.method, query: req.query, headers: req.headers, body: req.body, clientAddress });
        ({ principal, claimed } = outcome);
        error = outcome.error?.code ?? null;
        res = outcome.response;
      } else if (route.operation !== 'token') {
        const registryRoute = route;
        let actor = req.actor ?? null;
        let permits: RegistryRequest['permits'];
        let listable: RegistryRequest['listable'];
        if (auth) {
          const checked = await gate(auth, registryRoute, params.name, req.headers, req.principal);
          principal = checked.principal;
          if (!checked.ok) throw checked.error;
          const caller = checked.principal;
          actor = caller.subject;
          permits = (repository, action) => isAllowed(auth.policy, caller, repository, action);
          listable = (repository) => auth.policy.allows(caller, repository, 'pull');
        }
        if (registryRoute.nameQuery && !params.name) {
          throw new RegistryError('NAME_INVALID', `the ${registryRoute.nameQuery} query parameter names the repository: add ?${registryRoute.nameQuery}=NAME`, {
            detail: { parameter: registryRoute.nameQuery },
          });
        }
        const name = params.name === undefined ? '' : validateName(params.name);
        res = await operation.run(this.context, name, {
          route: registryRoute,
          params,
          query: req.query,
          headers: req.headers,
          body: req.body,
          actor,
          ...(permits && { permits }),
          ...(listable && { listable }),
        });
      } else {
        throw new Error(`the token route is registered with a ${operation.kind} operation`);
      }
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      error = err.code;
      res = errorResponse(err, head);
    }
    // No sink (the default): no call, no promise to wait for on every request.
    if (this.options.audit) await this.audit(req, { route, params, status: res.status, error, principal, claimed, clientAddress, requestId });
    const facts: RequestFacts = {
      requestId,
      clientAddress,
      operation: route?.operation ?? null,
      repository: params.name?.slice(0, 256) ?? null,
      user: principal?.subject ?? req.actor ?? null,
    };
    return { ...res, facts };
  }

  private async audit(
    req: IncomingRequest,
    o: {
      route: AnyRoute | null;
      params: RouteParams;
      status: number;
      error: string | null;
      principal: Principal | null;
      claimed: string | null;
      clientAddress: string | null;
      requestId: string;
    },
  ): Promise<void> {
    const sink = this.options.audit;
    const hadAuthorization = req.headers.authorization !== undefined;
    if (!sink || !shouldAudit({ method: req.method, route: o.route, status: o.status, hadAuthorization })) return;
    await sink.record(
      auditRecord({
        method: req.method,
        route: o.route,
        params: o.params,
        query: req.query,
        hadAuthorization,
        status: o.status,
        error: o.error,
        principal: o.principal,
        claimedPrincipal: o.claimed,
        clientAddress: o.clientAddress,
        requestId: o.requestId,
      }),
    );
  }
}
