/**
 * Cognito access-token claims -> the core's Principal. Pure (no I/O), shared by every place a
 * Cognito identity enters the registry: tokens verified here (cognito-token-verifier.ts), the
 * claims API Gateway's Cognito authorizer hands a Lambda (`requestContext.authorizer.claims`,
 * every value flattened to a string), and the anonymous-pull REQUEST authorizer.
 *
 *   claim            human (InitiateAuth)                 machine (client-credentials grant)
 *   ---------------  -----------------------------------  ----------------------------------
 *   token_use        access                               access
 *   client_id        the people's app client              the machine's app client
 *   username         the user name (policy `users`)       absent
 *   sub              a UUID                               the client id
 *   cognito:groups   the user's groups (policy `groups`)  absent
 *   scope            aws.cognito.signin.user.admin        <resource server>/pull|push|delete
 *
 * The token's grant: `aws.cognito.signin.user.admin` (what every InitiateAuth token carries;
 * custom scopes on user tokens need the OAuth2 endpoints or a paid-tier trigger) limits
 * nothing, so the policy alone decides for people; a token with resource-server scopes may do
 * only those actions (`pull` also lists the catalog), and the policy narrows them further.
 */
import { randomBytes } from 'node:crypto';
import type { Action } from '../../core/routes.js';
import type { Principal } from '../../core/auth/principal.js';

/** The scope every access token from InitiateAuth carries. */
export const USER_ADMIN_SCOPE = 'aws.cognito.signin.user.admin';

/** The resource server's scope names and the actions each grants. */
const SCOPE_ACTIONS: Record<string, readonly Action[]> = {
  pull: ['pull', 'catalog'],
  push: ['push'],
  delete: ['delete'],
};

export interface ClaimsOptions {
  /** The resource server identifier: scopes are `<id>/pull`, `<id>/push`, `<id>/delete`. */
  resourceServer: string;
  /** App clients whose tokens the registry accepts; a token of any other client is refused. */
  clientIds: readonly string[];
}

/** The app clients whose tokens are accepted: the configured ones, and the people's client (it logs people in). */
export function acceptedClientIds(clientIds: readonly string[], userClientId: string | undefined): string[] {
  return [...new Set([...clientIds, ...(userClientId ? [userClientId] : [])])];
}

const MAX_NAME = 256;

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME ? value : null;
}

/**
 * A list claim as a verified JWT carries it (an array) or as API Gateway flattens it into a
 * string: `a b` (scope), `[a b]`, `a,b` or `["a","b"]` (groups; the REST API's format is not
 * documented, so every form is read). Cognito scope and group names contain no whitespace;
 * a group name with a comma or bracket cannot be told apart in a flattened claim.
 */
export function listClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
  if (typeof value !== 'string') return [];
  let s = value.trim();
  if (s.startsWith('[') && s.endsWith(']')) {
    try {
      const parsed: unknown = JSON.parse(s);
      if (Array.isArray(parsed)) return listClaim(parsed);
    } catch {
      // not JSON: API Gateway's "[a b]"
    }
    s = s.slice(1, -1);
  }
  return s.split(/[\s,]+/).filter(Boolean);
}

/** The actions a token's resource-server scopes grant. */
export function actionsOfScopes(scopes: readonly string[], resourceServer: string): Action[] {
  const out = new Set<Action>();
  const prefix = `${resourceServer}/`;
  for (const scope of scopes) {
    if (!scope.startsWith(prefix)) continue;
    for (const action of SCOPE_ACTIONS[scope.slice(prefix.length)] ?? []) out.add(action);
  }
  return [...out];
}

/** The resource-server scopes that grant `actions` (what a machine asks Cognito for). */
export function scopesForActions(actions: Iterable<Action>, resourceServer: string): string[] {
  const wanted = new Set(actions);
  return Object.entries(SCOPE_ACTIONS)
    .filter(([, granted]) => granted.some((a) => wanted.has(a)))
    .map(([name]) => `${resourceServer}/${name}`);
}

/**
 * The principal of a Cognito access token's claims, or null when they are not an access token
 * of an accepted app client. The caller has verified them (signature, expiry, issuer), or
 * API Gateway has.
 */
export function principalFromClaims(claims: Record<string, unknown>, options: ClaimsOptions): Principal | null {
  if (claims.token_use !== 'access') return null;
  const clientId = text(claims.client_id);
  if (clientId === null || !options.clientIds.includes(clientId)) return null;
  const scopes = listClaim(claims.scope);
  const username = text(claims.username);
  const actions = actionsOfScopes(scopes, options.resourceServer);
  if (username !== null) {
    return {
      subject: username,
      kind: 'user',
      groups: listClaim(claims['cognito:groups']),
      clientId,
      scopes,
      grant: scopes.includes(USER_ADMIN_SCOPE) ? { kind: 'unrestricted' } : { kind: 'actions', actions },
    };
  }
  // A client-credentials token: no user, its subject is the client itself.
  if (text(claims.sub) !== clientId) return null;
  return { subject: clientId, kind: 'client', groups: [], clientId, scopes, grant: { kind: 'actions', actions } };
}

/**
 * The token the token endpoint gives a caller without credentials: opaque, unsigned, because it
 * grants exactly what no credential grants (the policy's anonymous pulls) and nothing else.
 * Only the anonymous-pull authorizer accepts it, and only as the anonymous principal.
 */
const ANONYMOUS_TOKEN = /^anonymous\.[A-Za-z0-9_-]{22}$/;

export function isAnonymousToken(token: string): boolean {
  return ANONYMOUS_TOKEN.test(token);
}

export function newAnonymousToken(): string {
  return `anonymous.${randomBytes(16).toString('base64url')}`;
}
