/**
 * Who is calling, as ports and core share it: the types an identity provider returns and the
 * core's policy reads. They live here, below the core, so that no port imports from the core
 * (the core re-exports them from core/auth/principal.ts and core/auth/access.ts).
 *
 * What a principal may do is the intersection of two things:
 * - the policy (core/auth/policy.ts): what this subject, its groups or its client id may do where;
 * - its token's grant: what the token itself was issued for. A Docker-style token carries
 *   `access` entries (exact repository names and actions, granted at the token endpoint); an
 *   OAuth2 access token (Cognito) carries scopes, which the provider maps to actions on any
 *   repository; a human's Cognito token is limited by the policy alone.
 */

/** What a caller may be allowed to do on a repository (or, for `catalog`, on the registry). */
export type Action = 'pull' | 'push' | 'delete' | 'catalog';

/** A Docker token `access` entry (see core/auth/access.ts for the scope grammar). */
export interface AccessEntry {
  /** `repository` or `registry` (for the catalog); other types parse but grant nothing. */
  type: string;
  /** A repository name, or `catalog` for type `registry`. */
  name: string;
  /** `pull`, `push`, `delete`, or `*` (everything), as the client wrote them. */
  actions: string[];
}

export type PrincipalKind = 'user' | 'client' | 'iam' | 'anonymous';

export type TokenGrant =
  /** Docker token `access` claim: these actions on these exact resources, nothing else. */
  | { kind: 'access'; access: readonly AccessEntry[] }
  /** OAuth2 scopes mapped to actions, valid on every repository (the policy narrows them). */
  | { kind: 'actions'; actions: readonly Action[] }
  /** The token limits nothing; the policy alone decides. */
  | { kind: 'unrestricted' };

export interface Principal {
  /** Stable identifier: the user name, a machine client's id, an IAM role or user ARN, or `anonymous`. Audit and event `actor`. */
  subject: string;
  /**
   * A human (`user`), a machine (`client`: client-credentials grant), an AWS IAM identity that
   * logged in with a signed sts:GetCallerIdentity request (`iam`: subject is its ARN, an
   * assumed role's normalized to the role's), or nobody (`anonymous`).
   */
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
