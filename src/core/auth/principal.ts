/**
 * Who is calling, as the core sees it once a credential has been verified by an identity
 * provider (embedded JWTs, Cognito access tokens): never a raw header or token.
 *
 * What a principal may do is the intersection of two things:
 * - the policy (./policy.ts): what this subject, its groups or its client id may do where;
 * - its token's grant: what the token itself was issued for. A Docker-style token carries
 *   `access` entries (exact repository names and actions, granted at the token endpoint); an
 *   OAuth2 access token (Cognito) carries scopes, which the provider maps to actions on any
 *   repository; a human's Cognito token is limited by the policy alone.
 */
import type { Action } from '../routes.js';
import type { AccessEntry } from './access.js';

export type PrincipalKind = 'user' | 'client' | 'anonymous';

export type TokenGrant =
  /** Docker token `access` claim: these actions on these exact resources, nothing else. */
  | { kind: 'access'; access: readonly AccessEntry[] }
  /** OAuth2 scopes mapped to actions, valid on every repository (the policy narrows them). */
  | { kind: 'actions'; actions: readonly Action[] }
  /** The token limits nothing; the policy alone decides. */
  | { kind: 'unrestricted' };

export interface Principal {
  /** Stable identifier: the user name, a machine client's id, or `anonymous`. Audit and event `actor`. */
  subject: string;
  /** A human (`user`), a machine (`client`: client-credentials grant), or nobody (`anonymous`). */
  kind: PrincipalKind;
  /** Group names from the identity provider (local user groups, Cognito groups). */
  groups: readonly string[];
  /** The OAuth2 app client the token was issued to (Cognito `client_id`), when there is one. */
  clientId: string | null;
  /** OAuth2 scopes the token carries, verbatim (for audit and for providers that map them). */
  scopes: readonly string[];
  /** What the presented token itself grants. */
  grant: TokenGrant;
}

/** The caller who presented no credential, or an anonymous token. */
export const ANONYMOUS: Principal = Object.freeze({
  subject: 'anonymous',
  kind: 'anonymous',
  groups: Object.freeze([]) as readonly string[],
  clientId: null,
  scopes: Object.freeze([]) as readonly string[],
  grant: Object.freeze({ kind: 'unrestricted' }) as TokenGrant,
}) as Principal;
