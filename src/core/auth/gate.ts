/**
 * The one authentication and authorization check in front of every registry route (called by
 * Registry.handle, never by an operation):
 *
 * - no credential: anonymous, if the route is a pull the policy lets anyone make; otherwise 401
 *   with the Bearer challenge (GET /v2/ included: that is how docker learns the token realm);
 * - a bearer token the provider does not accept (forged, expired, another service): 401;
 * - an anonymous token (docker fetches one when not logged in) that does not cover the action:
 *   401 with the challenge too, never 403: the caller has no credentials yet, and a 401 is what
 *   makes docker say "log in" instead of "denied";
 * - a valid user or client token whose principal may not do the route's action here: 403 DENIED.
 *
 * Only `Authorization: Bearer` is read on /v2/: Basic credentials go to the token endpoint,
 * which rate-limits failures. Accepting them on every request would put a slow password hash
 * on every registry call and a password on every request log of every proxy in between.
 * A shell whose gateway already verified the token (the Lambda authorizer) passes the principal.
 */
import type { RegistryError } from '../errors.js';
import { validateName } from '../names.js';
import type { Route } from '../routes.js';
import { challengeScope, denied, unauthorized } from './challenge.js';
import { isAllowed } from './decide.js';
import { ANONYMOUS, type Principal } from './principal.js';
import type { AuthSettings } from './settings.js';

export type GateResult = { ok: true; principal: Principal } | { ok: false; error: RegistryError; principal: Principal | null };

/** The token of an `Authorization: Bearer` header; undefined when there is no such header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^Bearer[ ]+(\S*)\s*$/i.exec(authorization);
  return m ? (m[1] ?? '') : undefined;
}

function nameOrNull(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  try {
    return validateName(raw);
  } catch {
    return null; // the operation answers NAME_INVALID once the caller is authenticated
  }
}

export async function gate(
  settings: AuthSettings,
  route: Route,
  rawName: string | undefined,
  headers: Record<string, string | undefined>,
  verified?: Principal,
): Promise<GateResult> {
  const name = nameOrNull(rawName);
  const action = route.action;
  const token = verified ? undefined : bearerToken(headers.authorization);
  let principal = verified ?? (token ? await settings.provider.verifyToken(token, settings.service) : null);
  if (!principal) {
    if (token === undefined && action === 'pull' && name !== null && settings.policy.anonymousMayPull(name)) {
      principal = ANONYMOUS;
    } else {
      const message = token === undefined ? undefined : 'the bearer token is invalid, expired or not for this registry: log in again';
      return { ok: false, principal: null, error: unauthorized(settings, challengeScope(name, action), message) };
    }
  }
  if (action === null || (action !== 'catalog' && name === null)) return { ok: true, principal };
  if (!isAllowed(settings.policy, principal, name, action)) {
    if (principal.kind === 'anonymous') {
      const what = action === 'catalog' ? 'list the catalog' : `${action} ${name ?? ''}`;
      return {
        ok: false,
        principal,
        error: unauthorized(settings, challengeScope(name, action), `authentication required: anonymous access may not ${what}; log in (docker login) and retry`),
      };
    }
    return { ok: false, principal, error: denied(name, action) };
  }
  return { ok: true, principal };
}
