/**
 * The caller's principal on Lambda, as API Gateway's authorizer verified it. A registry Lambda
 * never sees a request its authorizer refused (those are the gateway's 401s with the challenge),
 * so what arrives here is one of:
 *
 *   requestContext.authorizer.claims             the Cognito user-pool authorizer's verified claims
 *                                                (every value a string; see cognito-claims.ts)
 *   requestContext.authorizer.stowagePrincipal   the REQUEST authorizer's context (anonymous pull, IAM login):
 *                                                the principal it verified, as JSON (a context
 *                                                value can only be a string, number or boolean)
 *
 * Neither present (a method without an authorizer: a wiring mistake, or a test): undefined, and
 * the core then verifies the Authorization header itself. The REQUEST authorizer's context is
 * trusted as API Gateway's own, but still parsed strictly.
 */
import type { Principal, PrincipalKind, TokenGrant } from '../../core/auth/principal.js';
import type { AccessEntry } from '../../core/auth/access.js';
import { ANONYMOUS } from '../../core/auth/principal.js';
import type { Action } from '../../core/routes.js';
import { principalFromClaims, type ClaimsOptions } from '../../adapters/aws/cognito-claims.js';

export const PRINCIPAL_CONTEXT_KEY = 'stowagePrincipal';

export interface AuthorizerContextLike {
  requestContext?: { authorizer?: Record<string, unknown> | null } | null;
}

/** The principal as the REQUEST authorizer's context value. */
export function encodePrincipal(p: Principal): string {
  return JSON.stringify({ subject: p.subject, kind: p.kind, groups: p.groups, clientId: p.clientId, scopes: p.scopes, grant: p.grant });
}

const KINDS: readonly PrincipalKind[] = ['user', 'client', 'iam', 'anonymous'];
const ACTIONS: readonly Action[] = ['pull', 'push', 'delete', 'catalog'];
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const accessEntries = (v: unknown): v is AccessEntry[] =>
  Array.isArray(v) && v.every((e: Record<string, unknown> | null) => typeof e?.type === 'string' && typeof e.name === 'string' && strings(e.actions));

export function decodePrincipal(value: unknown): Principal | null {
  if (typeof value !== 'string' || value.length > 8192) return null;
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(value) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof p !== 'object' || p === null) return null;
  if (typeof p.kind !== 'string' || !KINDS.includes(p.kind as PrincipalKind)) return null;
  if (p.kind === 'anonymous') return ANONYMOUS;
  if (typeof p.subject !== 'string' || p.subject === '' || !strings(p.groups) || !strings(p.scopes)) return null;
  if (p.clientId !== null && typeof p.clientId !== 'string') return null;
  const g = p.grant as { kind?: unknown; actions?: unknown } | null;
  let grant: TokenGrant;
  if (g?.kind === 'unrestricted') grant = { kind: 'unrestricted' };
  else if (g?.kind === 'actions' && strings(g.actions) && g.actions.every((a) => ACTIONS.includes(a as Action))) grant = { kind: 'actions', actions: g.actions as Action[] };
  else if (g?.kind === 'access' && p.kind === 'iam' && accessEntries((g as { access?: unknown }).access))
    grant = { kind: 'access', access: (g as { access: AccessEntry[] }).access };
  else return null; // Docker `access` grants come only with the registry's own tokens (IAM login)
  return { subject: p.subject, kind: p.kind as PrincipalKind, groups: p.groups, clientId: p.clientId as string | null, scopes: p.scopes, grant };
}

/**
 * The authorizer's principal. `null`: an authorizer ran but its identity is not acceptable here
 * (claims of another app client): the request is then treated as carrying no credential.
 */
export function authorizerPrincipal(event: AuthorizerContextLike, options: ClaimsOptions): Principal | null | undefined {
  const authorizer = event.requestContext?.authorizer;
  if (!authorizer) return undefined;
  if (authorizer.claims && typeof authorizer.claims === 'object') return principalFromClaims(authorizer.claims as Record<string, unknown>, options);
  if (PRINCIPAL_CONTEXT_KEY in authorizer) return decodePrincipal(authorizer[PRINCIPAL_CONTEXT_KEY]);
  return undefined;
}
