/**
 * The route table: every endpoint of the registry as data. The node server dispatches with it,
 * and later the Lambda entry points and the CDK stack's API resources are generated from it.
 * `{name}` spans one or more path segments (repository names contain slashes); other
 * variables are one segment. Order matters: upload routes come before blob routes.
 */
import type { Action } from '../ports/principal.js';

export type { Action } from '../ports/principal.js';

export type Operation =
  | 'ping'
  | 'catalog'
  | 'listTags'
  | 'getManifest'
  | 'headManifest'
  | 'putManifest'
  | 'deleteManifest'
  | 'getBlob'
  | 'headBlob'
  | 'deleteBlob'
  | 'startUpload'
  | 'getUpload'
  | 'patchUpload'
  | 'putUpload'
  | 'cancelUpload'
  | 'listReferrers'
  | 'usage'
  | 'listImages'
  | 'lifecyclePreview'
  | 'deleteRepository';

export interface Route {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  operation: Operation;
  /** What the caller must be allowed to do on the repository; null for the ping. */
  action: Action | null;
  /**
   * The query parameter that names the repository, for routes whose path cannot carry it (the
   * admin routes under `/v2/_stowage/`); it is then authorized and validated as `{name}` is.
   */
  nameQuery?: 'repository' | 'name';
}

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/v2/', operation: 'ping', action: null },
  // Admin routes (Stowage's own, ECR-like): `_stowage` can never be a repository name (names
  // start with [a-z0-9]), so these never shadow a repository's routes.
  { method: 'GET', path: '/v2/_stowage/usage', operation: 'usage', action: 'catalog' },
  { method: 'GET', path: '/v2/_stowage/images', operation: 'listImages', action: 'pull', nameQuery: 'repository' },
  { method: 'GET', path: '/v2/_stowage/lifecycle-preview', operation: 'lifecyclePreview', action: 'pull', nameQuery: 'repository' },
  { method: 'DELETE', path: '/v2/_stowage/repositories', operation: 'deleteRepository', action: 'delete', nameQuery: 'name' },
  { method: 'HEAD', path: '/v2/', operation: 'ping', action: null },
  { method: 'GET', path: '/v2/_catalog', operation: 'catalog', action: 'catalog' },
  { method: 'HEAD', path: '/v2/_catalog', operation: 'catalog', action: 'catalog' },
  { method: 'GET', path: '/v2/{name}/tags/list', operation: 'listTags', action: 'pull' },
  { method: 'HEAD', path: '/v2/{name}/tags/list', operation: 'listTags', action: 'pull' },
  { method: 'GET', path: '/v2/{name}/manifests/{reference}', operation: 'getManifest', action: 'pull' },
  { method: 'HEAD', path: '/v2/{name}/manifests/{reference}', operation: 'headManifest', action: 'pull' },
  { method: 'PUT', path: '/v2/{name}/manifests/{reference}', operation: 'putManifest', action: 'push' },
  { method: 'DELETE', path: '/v2/{name}/manifests/{reference}', operation: 'deleteManifest', action: 'delete' },
  { method: 'POST', path: '/v2/{name}/blobs/uploads/', operation: 'startUpload', action: 'push' },
  { method: 'GET', path: '/v2/{name}/blobs/uploads/{uuid}', operation: 'getUpload', action: 'push' },
  { method: 'PATCH', path: '/v2/{name}/blobs/uploads/{uuid}', operation: 'patchUpload', action: 'push' },
  { method: 'PUT', path: '/v2/{name}/blobs/uploads/{uuid}', operation: 'putUpload', action: 'push' },
  { method: 'DELETE', path: '/v2/{name}/blobs/uploads/{uuid}', operation: 'cancelUpload', action: 'push' },
  { method: 'GET', path: '/v2/{name}/blobs/{digest}', operation: 'getBlob', action: 'pull' },
  { method: 'HEAD', path: '/v2/{name}/blobs/{digest}', operation: 'headBlob', action: 'pull' },
  { method: 'DELETE', path: '/v2/{name}/blobs/{digest}', operation: 'deleteBlob', action: 'delete' },
  { method: 'GET', path: '/v2/{name}/referrers/{digest}', operation: 'listReferrers', action: 'pull' },
  { method: 'HEAD', path: '/v2/{name}/referrers/{digest}', operation: 'listReferrers', action: 'pull' },
];

/**
 * The Docker token endpoint: not part of the `/v2/` API, so it sits in its own table. It is kept
 * out of ROUTES on purpose: the CDK stack and the Lambda entries are generated from ROUTES (one
 * Lambda per operation), and the token Lambda belongs to the identity provider the stack
 * deploys (Cognito), which wires these rows itself. matchRoute serves both tables.
 */
export type TokenOperation = 'token';

export interface TokenRoute {
  method: 'GET' | 'POST';
  path: '/token';
  operation: TokenOperation;
  action: null;
}

export const TOKEN_ROUTES: readonly TokenRoute[] = [
  { method: 'GET', path: '/token', operation: 'token', action: null },
  { method: 'POST', path: '/token', operation: 'token', action: null },
];

export type AnyRoute = Route | TokenRoute;

const ALL_ROUTES: readonly AnyRoute[] = [...ROUTES, ...TOKEN_ROUTES];

export type RouteParams = Partial<Record<'name' | 'reference' | 'digest' | 'uuid', string>>;

export type RouteMatch = { kind: 'match'; route: AnyRoute; params: RouteParams } | { kind: 'method-not-allowed'; allowed: string[] } | { kind: 'no-route' };

interface CompiledPattern {
  path: string;
  regex: RegExp;
  names: string[];
}

function compile(path: string): CompiledPattern {
  const names: string[] = [];
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return name === 'name' ? '(.+)' : '([^/]+)';
  });
  return { path, regex: new RegExp(`^${source}$`), names };
}

const PATTERNS: CompiledPattern[] = [...new Set(ALL_ROUTES.map((r) => r.path))].map(compile);

/**
 * Finds the route for a raw (still percent-encoded) request path. The path is never decoded or
 * normalised here, so `%2F`, `%2e%2e` and `..` reach the name grammar and are rejected there.
 */
export function matchRoute(method: string, rawPath: string): RouteMatch {
  // `/v2` without the slash is the same ping; some clients send it.
  if (rawPath === '/v2') rawPath = '/v2/';
  for (const pattern of PATTERNS) {
    const m = pattern.regex.exec(rawPath);
    if (!m) continue;
    const params: RouteParams = {};
    pattern.names.forEach((n, i) => {
      params[n as keyof RouteParams] = m[i + 1];
    });
    const candidates = ALL_ROUTES.filter((r) => r.path === pattern.path);
    const route = candidates.find((r) => r.method === method);
    if (route) return { kind: 'match', route, params };
    return { kind: 'method-not-allowed', allowed: candidates.map((r) => r.method) };
  }
  return { kind: 'no-route' };
}
