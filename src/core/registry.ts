/**
 * The registry core's single entry point: a matched route plus request in, a complete response
 * out. Domain errors become the spec's JSON error responses here, in one place, for every shell.
 */
import { RegistryError, errorBody } from './errors.js';
import { RegistryContext, type RegistryLimits, type RegistryPorts } from './context.js';
import { jsonResponse, response, type RegistryRequest, type RegistryResponse } from './messages.js';
import { validateName } from './names.js';
import { matchRoute, type Operation, type RouteParams } from './routes.js';
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

export function errorResponse(err: RegistryError, head = false): RegistryResponse {
  const body = errorBody(err);
  return response(
    err.status,
    { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...err.headers },
    head ? undefined : body,
  );
}

/** The spec's 404 for a path that no route serves (on a Lambda: that this Lambda's route does not serve). */
export function noEndpoint(path: string): RegistryError {
  return new RegistryError('NAME_UNKNOWN', `no registry endpoint at ${path.slice(0, 200)}: paths look like /v2/<name>/manifests/<reference>`, { status: 404 });
}

export interface IncomingRequest {
  method: string;
  /** Raw path, still percent-encoded, without the query string. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: AsyncIterable<Uint8Array>;
  actor?: string | null;
}

export class Registry {
  readonly context: RegistryContext;

  constructor(ports: RegistryPorts, limits?: RegistryLimits) {
    this.context = new RegistryContext(ports, limits);
  }

  /** Routes and runs a request. Never throws for bad input: every failure is a response. */
  async handle(req: IncomingRequest): Promise<RegistryResponse> {
    const head = req.method === 'HEAD';
    try {
      const match = matchRoute(req.method, req.path);
      if (match.kind === 'no-route') {
        throw noEndpoint(req.path);
      }
      if (match.kind === 'method-not-allowed') {
        throw new RegistryError('UNSUPPORTED', `${req.method} is not allowed here; allowed: ${match.allowed.join(', ')}`, {
          status: 405,
          headers: { allow: match.allowed.join(', ') },
        });
      }
      return await this.run(match.route.operation, match.params, {
        route: match.route,
        params: match.params,
        query: req.query,
        headers: req.headers,
        body: req.body,
        actor: req.actor ?? null,
      });
    } catch (err) {
      if (err instanceof RegistryError) return errorResponse(err, head);
      throw err;
    }
  }

  async run(operation: Operation, params: RouteParams, req: RegistryRequest): Promise<RegistryResponse> {
    const name = params.name === undefined ? '' : validateName(params.name);
    return HANDLERS[operation](this.context, name, req);
  }
}
