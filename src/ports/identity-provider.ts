/**
 * IdentityProvider: who a credential belongs to, and the tokens the registry accepts. It is a
 * TokenIssuer (./token-issuer.ts: authenticate, issue, refresh; what the token operation drives)
 * that also verifies: every registry request's bearer token is checked with verifyToken (the
 * core's gate). Adapters: embedded (local users file + signed JWTs), Cognito (user pool, app
 * clients); a component that only verifies (a registry Lambda) may issue nothing.
 *
 * The contracts of ./token-issuer.ts hold here too; verifyToken returns null for any token that
 * is not valid here, never a reason.
 */
import type { Principal } from './principal.js';
import type { TokenIssuer } from './token-issuer.js';

export { AnonymousTokensUnsupported, type Authenticated, type Credentials, type IssuedToken, type TokenIssuer, type TokenRequest } from './token-issuer.js';

export interface IdentityProvider extends TokenIssuer {
  /**
   * Verifies a presented bearer token for `service`: signature, expiry, issuer and audience.
   * Returns the principal with the token's grant, or null for any token that is not valid here.
   */
  verifyToken(token: string, service: string): Promise<Principal | null>;
}
