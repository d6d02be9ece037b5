/**
 * The registry core's single entry point: a matched route plus request in, a complete response
 * out. Domain errors become the spec's JSON error responses here, in one place, for every shell.
 */
import { randomUUID } from 'node:crypto';
import { RegistryError } from './errors.js';
import { errorResponse } from './error-response.js';
import { RegistryContext, type RegistryLimits, type RegistryPorts } from './context.js';
import { jsonResponse, type RegistryRequest, type RegistryResponse } from './messages.js';
import { validateName } from './names.js';
import { matchRoute, type AnyRoute, type Operation, type RouteParams } from './routes.js';
import { clientAddressOf } from './client-address.js';
import { auditRecord, shouldAudit } from './auth/audit.js';
import { isAllowed } from './auth/decide.js';
import { gate } from './auth/gate.js';
import type { Principal } from './auth/principal.js';
import type { AuthSettings } from './auth/settings.js';
import { tokenEndpoint } from './auth/token-endpoint.js';
import type { AuditSink } from '../ports/audit-sink.js';
import { deleteBlob, getBlob } from './operations/blobs.js';
import { deleteManifest, getManifest, putManifest } from './operations/manifests.js';
import { cancelUpload, getUpload, patchUpload, putUpload, startUpload } from './operations/uploads.js';
import { catalog, listReferrers, listTags } from './operations/listings.js';

type Handler = (ctx: RegistryContext, name: string, req: RegistryRequest) => Promise<RegistryResponse>;

const HANDLERS: Record<Operation, Handler> = {
  ping: async () => jsonResponse(200, {}),
  catalog: (ctx, _name, req) => catalog(ctx, req),
  listTags,
  getManifest: (ctx, name, req) => getManifest(ctx, name, req, false),
  headManifest: (ctx, name, req) => getManifest(ctx, name, req, true),
  putManifest,
  deleteManifest,
  getBlob: (ctx, name, req) => getBlob(ctx, name, req, false),
  headBlob: (ctx, name, req) => getBlob(ctx, name, req, true),
  deleteBlob,
  startUpload,
  getUpload,
  patchUpload,
  putUpload,
  cancelUpload,
  listReferrers,
};

// The one error-to-response mapping lives in error-response.ts; shells import it from here too.
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
}

export class Registry {
  readonly context: RegistryContext;

  constructor(
    ports: RegistryPorts,
    limits?: RegistryLimits,
    private readonly options: RegistryOptions = {},
  ) {
    this.context = new RegistryContext(ports, limits);
  }

  /**
   * Routes, authenticates, authorizes and runs a request, and writes its audit line. Never
   * throws for bad input: every failure is a response. `only` restricts it to one operation
   * (a Lambda serves one; anything else is the spec's 404).
   */
  async handle(req: IncomingRequest, only?: { operation: Operation }): Promise<RegistryResponse> {
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
      if (match.kind === 'no-route' || (only && match.kind === 'match' && match.route.operation !== only.operation)) {
        throw noEndpoint(req.path);
      }
      if (match.kind === 'method-not-allowed') {
        throw new RegistryError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; allowed: ${match.allowed.join(', ')}`, {
          allowedMethods: match.allowed,
        });
      }
      route = match.route;
      params = match.params;
      const auth = this.options.auth;
      if (route.operation === 'token') {
        if (!auth) throw new RegistryError('NO_ENDPOINT', 'authentication is off on this registry: there is no token endpoint');
        const outcome = await tokenEndpoint(auth, { method: req.method, query: req.query, headers: req.headers, body: req.body, clientAddress });
        ({ principal, claimed } = outcome);
        error = outcome.error?.code ?? null;
        res = outcome.response;
      } else {
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
        res = await this.run(registryRoute.operation, params, {
          route: registryRoute,
          params,
          query: req.query,
          headers: req.headers,
          body: req.body,
          actor,
          ...(permits && { permits }),
          ...(listable && { listable }),
        });
      }
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      error = err.code;
      res = errorResponse(err, head);
    }
    await this.audit(req, { route, params, status: res.status, error, principal, claimed, clientAddress, requestId });
    return res;
  }

  private async audit(
    req: IncomingRequest,
    o: { route: AnyRoute | null; params: RouteParams; status: number; error: string | null; principal: Principal | null; claimed: string | null; clientAddress: string | null; requestId: string },
  ): Promise<void> {
    const sink = this.options.audit;
    const hadAuthorization = req.headers.authorization !== undefined;
    if (!sink || !shouldAudit({ method: req.method, route: o.route, status: o.status, hadAuthorization })) return;
    await sink.record(
      auditRecord({ method: req.method, route: o.route, params: o.params, query: req.query, hadAuthorization, status: o.status, error: o.error, principal: o.principal, claimedPrincipal: o.claimed, clientAddress: o.clientAddress, requestId: o.requestId }),
    );
  }

  async run(operation: Operation, params: RouteParams, req: RegistryRequest): Promise<RegistryResponse> {
    const name = params.name === undefined ? '' : validateName(params.name);
    return HANDLERS[operation](this.context, name, req);
  }
}
