/**
 * Who is calling, as the core sees it once a credential has been verified by an identity
 * provider (embedded JWTs, Cognito access tokens): never a raw header or token. The types are
 * the ports' (ports/principal.ts, where their doc lives); the core adds the anonymous caller.
 */
import type { Principal, TokenGrant } from '../../ports/principal.js';

export type { Principal, PrincipalKind, TokenGrant } from '../../ports/principal.js';

/** The caller who presented no credential, or an anonymous token. */
export const ANONYMOUS: Principal = Object.freeze({
  subject: 'anonymous',
  kind: 'anonymous',
  groups: Object.freeze([]) as readonly string[],
  clientId: null,
  scopes: Object.freeze([]) as readonly string[],
  grant: Object.freeze({ kind: 'unrestricted' }) as TokenGrant,
}) as Principal;
