/**
 * TokenIssuer: the login half of an identity provider, which the token operation
 * (core/operations/token.ts, the Docker token endpoint `GET`/`POST /token`) drives: authenticate
 * the credential a client presents, then issue a token for exactly what the policy granted.
 * Adapters: the embedded identity provider (local users file + signed JWTs) and the Cognito
 * token flow (InitiateAuth, the client-credentials grant); both are full IdentityProviders
 * (./identity-provider.ts), which add verification. Nothing here speaks HTTP; the core builds
 * every response.
 *
 * Contracts every adapter keeps:
 * - A failed authentication is `null`, never an error and never a reason: an unknown user and a
 *   wrong password look the same, and take about the same time, to the caller.
 * - Thrown errors mean the provider itself failed (a network error to Cognito).
 * - Secrets (passwords, client secrets, tokens) are never logged by an adapter.
 */
import type { AccessEntry, Principal } from './principal.js';

export type Credentials =
  /** A human: user name and password (Basic credentials, or the OAuth2 password grant). */
  | { kind: 'password'; username: string; password: string }
  /** A machine: OAuth2 client-credentials grant (or Basic credentials with the client id as user name). */
  | { kind: 'client'; clientId: string; clientSecret: string };

/**
 * A successful authentication. `state` is the provider's own, opaque to the core and handed
 * back to issueToken: e.g. the tokens Cognito's InitiateAuth already returned.
 */
export interface Authenticated {
  principal: Principal;
  state?: unknown;
}

export interface TokenRequest {
  /** The registry service the token is for (the token's audience). */
  service: string;
  /** What the policy allowed of what was asked; may be empty (a token that grants nothing). */
  access: AccessEntry[];
  /** The client asked for a refresh token (`offline_token=true`, `access_type=offline`). */
  offline: boolean;
}

export interface IssuedToken {
  token: string;
  /** Lifetime in seconds (at least 60: docker refuses shorter tokens). */
  expiresIn: number;
  issuedAt: Date;
  /** Only when the request was `offline` and the provider issues refresh tokens. */
  refreshToken?: string;
}

export interface TokenIssuer {
  /**
   * Checks a credential. `null` when it is wrong, whichever part is wrong. `clientAddress` is
   * for adapters that pass it on (Cognito's advanced security); it is not a credential.
   */
  authenticate(credentials: Credentials, context: { clientAddress: string | null }): Promise<Authenticated | null>;

  /**
   * Issues a token for `authenticated` granting `request.access` for `request.service`. An
   * anonymous principal (kind `anonymous`) asks for an anonymous token; a provider that cannot
   * issue one throws AnonymousTokensUnsupported.
   */
  issueToken(authenticated: Authenticated, request: TokenRequest): Promise<IssuedToken>;

  /**
   * Exchanges a refresh token (OAuth2 `grant_type=refresh_token`) for a fresh authentication
   * (then issueToken). Absent when the provider issues no refresh tokens; null for a bad one.
   */
  refresh?(refreshToken: string, service: string): Promise<Authenticated | null>;

  /**
   * AWS IAM login (`stowage login`): checks a signed sts:GetCallerIdentity request the caller
   * made with its own AWS credentials and did not send, forwards it to STS and returns the
   * identity STS names (a principal of kind `iam`). Unlike a password login, a refusal says what
   * is wrong (an expired signature, a binding to another registry, an identity no policy rule
   * names): it throws LoginRefused with that message. Absent when the provider has no IAM login
   * (the embedded server: IAM login is the AWS deployment's).
   */
  exchangeIamIdentity?(request: SignedHttpRequest, context: { service: string; knowsPrincipal: (principal: Principal) => boolean }): Promise<Authenticated>;
}

/**
 * An HTTP request signed (SigV4) by the client and handed over unsent, as Vault's AWS auth
 * method and aws-iam-authenticator take it: the receiver sends it and trusts the answer.
 */
export interface SignedHttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A login refused with a reason the caller may read (IAM login: nothing secret is guessed). */
export class LoginRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoginRefused';
  }
}

export class AnonymousTokensUnsupported extends Error {
  constructor() {
    super('this identity provider issues no anonymous tokens');
    this.name = 'AnonymousTokensUnsupported';
  }
}
