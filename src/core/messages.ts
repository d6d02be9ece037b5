/**
 * Transport-neutral request and response shapes. Shells (node:http, Lambda) build a
 * RegistryRequest from their transport and write out the RegistryResponse the core returns;
 * the core decides every status, header and body.
 */
import type { Action, Route, RouteParams } from './routes.js';

export interface RegistryRequest {
  route: Route;
  params: RouteParams;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  /** The request body as a stream of bytes (empty for requests without one). */
  body: AsyncIterable<Uint8Array>;
  /** Principal name for audit and events, when authenticated. */
  actor?: string | null;
  /**
   * Whether the caller may do `action` on another repository than the route's (a mount's
   * source, the catalog's entries). Absent when auth is off: everything is permitted.
   */
  permits?: (repository: string, action: Action) => boolean;
  /**
   * Whether the catalog may show this repository to the caller: the policy lets the principal
   * pull it. The token's grant is not consulted: a catalog token (`registry:catalog:*`) names no
   * repositories, and a name the principal may pull reveals nothing it could not read anyway.
   * Absent when auth is off.
   */
  listable?: (repository: string) => boolean;
}

/** The request's permission check, permissive when auth is off. */
export function permits(req: RegistryRequest, repository: string, action: Action): boolean {
  return req.permits ? req.permits(repository, action) : true;
}

export type ResponseBody = Uint8Array | string | AsyncIterable<Uint8Array>;

export interface RegistryResponse {
  status: number;
  /** Lower-case header names; arrays become repeated headers. */
  headers: Record<string, string | string[]>;
  body?: ResponseBody;
}

export const API_VERSION_HEADER = { 'docker-distribution-api-version': 'registry/2.0' } as const;

export function response(status: number, headers: Record<string, string | string[]> = {}, body?: ResponseBody): RegistryResponse {
  const r: RegistryResponse = { status, headers: { ...API_VERSION_HEADER, ...headers } };
  if (body !== undefined) r.body = body;
  return r;
}

export function jsonResponse(status: number, value: unknown, headers: Record<string, string | string[]> = {}): RegistryResponse {
  const body = JSON.stringify(value);
  return response(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers }, body);
}
