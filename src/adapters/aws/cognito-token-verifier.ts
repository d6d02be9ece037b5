/**
 * Verifies Cognito access tokens with aws-jwt-verify: RS256 signature against the user pool's
 * JWKS (fetched once per process and cached; an unknown `kid` refetches it at most once per
 * 10 s, aws-jwt-verify's penalty box), expiry, issuer, `token_use` = access (ID tokens are
 * refused) and `client_id` in the accepted list. Claims become a Principal in ./cognito-claims.ts.
 *
 * On AWS the issuer and JWKS URI follow from the pool id (CognitoJwtVerifier, which also knows
 * the newer `issuer-cognito-idp` issuer form). An emulator (cognito-local, on plain HTTP) has
 * its own issuer: then both are given explicitly and the same checks run through JwtVerifier
 * with aws-jwt-verify's own Cognito claim validation.
 */
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import { FetchError, JwksValidationError } from 'aws-jwt-verify/error';
import { SimpleFetcher, type Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { ANONYMOUS, type Principal } from '../../core/auth/principal.js';
import type { Authenticated, IdentityProvider, IssuedToken } from '../../ports/identity-provider.js';
import { isAnonymousToken, principalFromClaims, type ClaimsOptions } from './cognito-claims.js';

export interface CognitoVerifierOptions extends ClaimsOptions {
  userPoolId: string;
  /** Override (emulators): the `iss` tokens carry. @default https://cognito-idp.<region>.amazonaws.com/<pool> */
  issuer?: string;
  /** Override (emulators). @default <issuer>/.well-known/jwks.json */
  jwksUri?: string;
  /** Clock skew allowed on `exp`, seconds. @default 0 */
  graceSeconds?: number;
}

/** Access tokens are about 1 KB; anything far longer is not one and is not parsed. */
const MAX_TOKEN_LENGTH = 16 * 1024;

/** aws-jwt-verify's fetcher speaks HTTPS only; an emulator's JWKS is on plain HTTP. */
class HttpOrHttpsFetcher implements Fetcher {
  private readonly https = new SimpleFetcher();

  async fetch(uri: string): Promise<ArrayBuffer> {
    if (!uri.startsWith('http:')) return this.https.fetch(uri);
    let res: Response;
    try {
      res = await fetch(uri, { signal: AbortSignal.timeout(3000) });
    } catch (err) {
      throw new FetchError(uri, (err as Error).message);
    }
    if (res.status !== 200) throw new FetchError(uri, `status code is ${res.status}, expected 200`);
    return res.arrayBuffer();
  }
}

interface Verifier {
  verify(token: string): Promise<Record<string, unknown>>;
}

export class CognitoTokenVerifier {
  private readonly verifier: Verifier;

  constructor(private readonly options: CognitoVerifierOptions) {
    if (options.clientIds.length === 0) throw new Error('Cognito token verification needs at least one accepted app client id');
    const graceSeconds = options.graceSeconds ?? 0;
    const clientId = [...options.clientIds];
    if (options.issuer === undefined) {
      const v = CognitoJwtVerifier.create({ userPoolId: options.userPoolId, tokenUse: 'access', clientId, graceSeconds });
      this.verifier = { verify: (token) => v.verify(token) as Promise<Record<string, unknown>> };
    } else {
      const v = JwtVerifier.create(
        {
          issuer: options.issuer,
          jwksUri: options.jwksUri ?? `${options.issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
          audience: null,
          graceSeconds,
          customJwtCheck: ({ payload }) => validateCognitoJwtFields(payload, { tokenUse: 'access', clientId }),
        },
        { jwksCache: new SimpleJwksCache({ fetcher: new HttpOrHttpsFetcher() }) },
      );
      this.verifier = { verify: (token) => v.verify(token) as Promise<Record<string, unknown>> };
    }
  }

  /**
   * The verified claims, or null for any token that is not a valid access token of ours. Throws
   * only when the pool's JWKS cannot be had (the provider failed, not the token): answering
   * "invalid token" then would send every client into a login loop during an outage.
   */
  async claims(token: string): Promise<Record<string, unknown> | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    try {
      return await this.verifier.verify(token);
    } catch (err) {
      if (err instanceof FetchError || err instanceof JwksValidationError) throw new Error(`Cognito JWKS unavailable: ${err.message}`);
      // Bad signature, unknown key, expired, other issuer or client, ID token, malformed.
      return null;
    }
  }

  /** The principal of a valid access token, or null. */
  async verify(token: string): Promise<Principal | null> {
    const claims = await this.claims(token);
    return claims === null ? null : principalFromClaims(claims, this.options);
  }
}

/**
 * The IdentityProvider of components that only check tokens (the registry Lambdas, the
 * anonymous-pull authorizer): verification as CognitoIdentityProvider does it, without the
 * Cognito API client in the bundle. Nobody logs in through them: /token is the token Lambda's.
 */
export class CognitoVerifyingProvider implements IdentityProvider {
  readonly verifier: CognitoTokenVerifier;

  constructor(options: CognitoVerifierOptions) {
    this.verifier = new CognitoTokenVerifier(options);
  }

  async authenticate(): Promise<Authenticated | null> {
    throw new Error('this component verifies Cognito tokens only; logins go to the token endpoint');
  }

  async issueToken(): Promise<IssuedToken> {
    throw new Error('this component verifies Cognito tokens only; tokens come from the token endpoint');
  }

  async verifyToken(token: string, _service?: string): Promise<Principal | null> {
    if (isAnonymousToken(token)) return ANONYMOUS;
    return this.verifier.verify(token);
  }
}
