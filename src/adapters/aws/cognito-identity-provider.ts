/**
 * The IdentityProvider on Amazon Cognito (the AWS stack's user pool). The tokens it issues are
 * Cognito's own access tokens, which API Gateway's Cognito authorizer, the anonymous-pull
 * authorizer and the upload service all verify the same way (./cognito-token-verifier.ts).
 *
 *   people    user name + password -> InitiateAuth USER_PASSWORD_AUTH with the people's app client
 *             (no secret); refresh tokens through REFRESH_TOKEN_AUTH
 *   machines  client id + secret (the client-credentials grant, or Basic credentials whose user
 *             name is an accepted app client id: `docker login -u $CLIENT_ID -p $CLIENT_SECRET`)
 *             -> the user pool domain's /oauth2/token (./oauth2-client-credentials.ts)
 *   anonymous an opaque `anonymous.<random>` token: it grants exactly what no credential grants
 *             (the policy's anonymous pulls), so it needs no signature; only the anonymous-pull
 *             authorizer accepts it, and only as the anonymous principal
 *
 * A machine's login fetches a token with every scope its app client may have (no `scope`
 * parameter), which proves the secret; a token request for fewer actions then gets a token with
 * just their scopes (`pull,push` -> stowage/pull stowage/push), so a leaked token does no more
 * than it was asked for. People's tokens always carry aws.cognito.signin.user.admin (Cognito adds
 * custom scopes to InitiateAuth tokens only through a pre-token-generation trigger, a paid
 * tier), so one token serves every scope and the policy decides.
 *
 * Every token is cached per credential and scope until shortly before it expires
 * (./credential-token-cache.ts). Consequence: a changed password or a disabled user stops new
 * logins through this cache within the token lifetime (1 hour in the stack), the same window in
 * which tokens already issued stay valid anyway (Cognito access tokens cannot be revoked for
 * API Gateway). Wrong credentials and unknown users give the same null; Cognito's
 * preventUserExistenceErrors (on in the stack) makes its answers equal too.
 *
 * `verifyToken` ignores `service`: Cognito access tokens carry no audience; what binds them to
 * this registry is the pool (issuer, signing keys) and the accepted app client ids.
 */
import { type CognitoIdentityProviderClient, InitiateAuthCommand, type InitiateAuthCommandOutput, type AuthenticationResultType } from '@aws-sdk/client-cognito-identity-provider';
import { RegistryError } from '../../core/errors.js';
import { expandActions } from '../../core/auth/access.js';
import type { Principal } from '../../core/auth/principal.js';
import type { Action } from '../../core/routes.js';
import type { Authenticated, Credentials, IdentityProvider, IssuedToken, TokenRequest } from '../../ports/identity-provider.js';
import { listClaim, newAnonymousToken, principalFromClaims, scopesForActions } from './cognito-claims.js';
import { CognitoVerifyingProvider, type CognitoTokenVerifier, type CognitoVerifierOptions } from './cognito-token-verifier.js';
import { CredentialTokenCache, type CachedToken } from './credential-token-cache.js';
import { OAuth2ClientCredentials } from './oauth2-client-credentials.js';
import { jsonRecordsTo, log as processLog } from '../../log/logger.js';
import { SETTINGS } from '../../config/settings.js';

const ANONYMOUS_TTL_SECONDS = 300;
/** The scope key of a machine's all-scopes token in the cache. */
const ALL_SCOPES = '*';

export { isAnonymousToken } from './cognito-claims.js';

export interface CognitoIdentityOptions extends CognitoVerifierOptions {
  /** The SDK client for InitiateAuth (region, endpoint). */
  cognito: CognitoIdentityProviderClient;
  /** The people's app client (USER_PASSWORD_AUTH, no secret). Absent: people cannot log in at /token. */
  userClientId?: string;
  /** The user pool domain's `/oauth2/token`. Absent: machines cannot log in at /token. */
  oauthTokenUrl?: string;
  cache?: CredentialTokenCache;
  /** @default Date.now */
  now?: () => number;
  /** Operational warnings (never a secret). @default the process logger (src/log) */
  log?: (line: string) => void;
}

type CognitoState = { kind: 'user'; token: CachedToken } | { kind: 'client'; clientId: string; clientSecret: string; token: CachedToken };

/** InitiateAuth errors that mean "this credential is wrong", whatever exactly is wrong with it. */
const BAD_CREDENTIAL_ERRORS = new Set([
  'NotAuthorizedException',
  'UserNotFoundException',
  'PasswordResetRequiredException',
  'UserNotConfirmedException',
  // cognito-local's answer to a wrong password (Cognito itself says NotAuthorizedException).
  'InvalidPasswordException',
]);

export class CognitoIdentityProvider implements IdentityProvider {
  private readonly verifying: CognitoVerifyingProvider;
  private readonly verifier: CognitoTokenVerifier;
  private readonly cache: CredentialTokenCache;
  private readonly oauth: OAuth2ClientCredentials | undefined;
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: CognitoIdentityOptions) {
    this.verifying = new CognitoVerifyingProvider(options);
    this.verifier = this.verifying.verifier;
    this.now = options.now ?? Date.now;
    this.cache = options.cache ?? new CredentialTokenCache({ now: this.now });
    this.oauth = options.oauthTokenUrl ? new OAuth2ClientCredentials(options.oauthTokenUrl) : undefined;
    this.log = options.log ?? jsonRecordsTo(processLog, 'warn', 'cognito');
  }

  async authenticate(credentials: Credentials, context: { clientAddress: string | null }): Promise<Authenticated | null> {
    if (credentials.kind === 'client') return this.clientLogin(credentials.clientId, credentials.clientSecret);
    // `docker login -u <client id> -p <secret>` arrives as a password login.
    if (this.options.clientIds.includes(credentials.username) && credentials.username !== this.options.userClientId) {
      return this.clientLogin(credentials.username, credentials.password);
    }
    return this.userLogin(credentials.username, credentials.password, context.clientAddress);
  }

  async issueToken(authenticated: Authenticated, request: TokenRequest): Promise<IssuedToken> {
    const state = authenticated.state as CognitoState | undefined;
    if (authenticated.principal.kind === 'anonymous' || !state) {
      return { token: newAnonymousToken(), expiresIn: ANONYMOUS_TTL_SECONDS, issuedAt: new Date(this.now()) };
    }
    if (state.kind === 'user') {
      return this.issued(state.token, request.offline ? state.token.refreshToken : undefined);
    }
    return this.issued(await this.narrowed(state, request));
  }

  async verifyToken(token: string, service?: string): Promise<Principal | null> {
    return this.verifying.verifyToken(token, service);
  }

  async refresh(refreshToken: string, _service?: string): Promise<Authenticated | null> {
    if (!this.options.userClientId || refreshToken.length === 0 || refreshToken.length > 16 * 1024) return null;
    const result = await this.initiateAuth({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: this.options.userClientId, AuthParameters: { REFRESH_TOKEN: refreshToken } });
    if (!result) return null;
    // Cognito returns a new refresh token only when rotation is on; otherwise the old one stays good.
    const token = await this.cachedTokenOf(result.AccessToken, result.RefreshToken ?? refreshToken);
    return token ? this.authenticated({ kind: 'user', token }) : null;
  }

  private async userLogin(username: string, password: string, clientAddress: string | null): Promise<Authenticated | null> {
    const clientId = this.options.userClientId;
    if (!clientId) throw new Error(`Cognito: people cannot log in here: no user app client is configured (${SETTINGS['cognito.userClientId'].env})`);
    const cached = this.cache.get('user', username, password);
    if (cached) return this.authenticated({ kind: 'user', token: cached });
    const result = await this.initiateAuth({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
      ...(clientAddress && { UserContextData: { IpAddress: clientAddress } }),
    });
    if (!result) return null;
    const token = await this.cachedTokenOf(result.AccessToken, result.RefreshToken);
    if (!token) return null;
    this.cache.set('user', username, password, '', token);
    return this.authenticated({ kind: 'user', token });
  }

  private async clientLogin(clientId: string, clientSecret: string): Promise<Authenticated | null> {
    if (!this.options.clientIds.includes(clientId)) return null; // its tokens would be refused everywhere
    const cached = this.cache.get('client', clientId, clientSecret, ALL_SCOPES);
    if (cached) return this.authenticated({ kind: 'client', clientId, clientSecret, token: cached });
    const token = await this.clientToken(clientId, clientSecret, null);
    if (!token) return null;
    this.cache.set('client', clientId, clientSecret, ALL_SCOPES, token);
    return this.authenticated({ kind: 'client', clientId, clientSecret, token });
  }

  /** A machine's token for just the scopes the granted actions need (the all-scopes token when that is all of them, or none). */
  private async narrowed(state: Extract<CognitoState, { kind: 'client' }>, request: TokenRequest): Promise<CachedToken> {
    const actions = new Set<Action>();
    for (const entry of request.access) {
      if (entry.type === 'registry') actions.add('catalog');
      else for (const a of expandActions(entry.actions)) actions.add(a);
    }
    const has = new Set(listClaim(state.token.claims.scope));
    const wanted = scopesForActions(actions, this.options.resourceServer)
      .filter((s) => has.has(s))
      .sort();
    if (wanted.length === 0 || wanted.length === has.size) return state.token;
    const scope = wanted.join(' ');
    const cached = this.cache.get('client', state.clientId, state.clientSecret, scope);
    if (cached) return cached;
    const token = await this.clientToken(state.clientId, state.clientSecret, wanted);
    if (!token) return state.token; // refused now although it just worked: keep what we have
    this.cache.set('client', state.clientId, state.clientSecret, scope, token);
    return token;
  }

  private async clientToken(clientId: string, clientSecret: string, scopes: string[] | null): Promise<CachedToken | null> {
    if (!this.oauth) throw new Error(`Cognito: machine clients cannot log in here: no OAuth2 token endpoint is configured (${SETTINGS['cognito.oauthTokenUrl'].env})`);
    const result = await this.oauth.requestToken(clientId, clientSecret, scopes);
    if (!result.ok) {
      if (result.reason === 'unauthorized_client')
        this.log(JSON.stringify({ level: 'warn', message: 'Cognito: an app client may not use the client-credentials grant', clientId }));
      return null;
    }
    return this.cachedTokenOf(result.accessToken);
  }

  /** Verifies a token Cognito just issued (it must pass where it will be used) and notes its expiry. */
  private async cachedTokenOf(accessToken: string | undefined, refreshToken?: string): Promise<CachedToken | null> {
    if (!accessToken) return null;
    const claims = await this.verifier.claims(accessToken);
    if (!claims || !principalFromClaims(claims, this.options) || typeof claims.exp !== 'number') {
      this.log(JSON.stringify({ level: 'warn', message: 'Cognito issued a token this registry does not accept: check the user pool id, issuer and accepted app client ids' }));
      return null;
    }
    return { accessToken, expiresAt: claims.exp * 1000, claims, ...(refreshToken && { refreshToken }) };
  }

  private authenticated(state: CognitoState): Authenticated | null {
    const principal = principalFromClaims(state.token.claims, this.options);
    return principal ? { principal, state } : null;
  }

  private issued(token: CachedToken, refreshToken?: string): IssuedToken {
    const now = this.now();
    return {
      token: token.accessToken,
      expiresIn: Math.max(60, Math.floor((token.expiresAt - now) / 1000)),
      issuedAt: new Date(now),
      ...(refreshToken && { refreshToken }),
    };
  }

  /** InitiateAuth; null for a wrong credential or a challenge docker cannot answer. */
  private async initiateAuth(input: ConstructorParameters<typeof InitiateAuthCommand>[0]): Promise<AuthenticationResultType | null> {
    let out: InitiateAuthCommandOutput;
    try {
      out = await this.options.cognito.send(new InitiateAuthCommand(input));
    } catch (err) {
      const name = (err as { name?: string }).name ?? '';
      if (BAD_CREDENTIAL_ERRORS.has(name)) return null;
      if (name === 'TooManyRequestsException' || name === 'LimitExceededException') {
        throw new RegistryError('TOOMANYREQUESTS', 'the identity provider is throttling logins: try again in a few seconds', { retryAfterSeconds: 5 });
      }
      throw new Error(`Cognito InitiateAuth failed: ${name || (err as Error).message}`);
    }
    if (out.ChallengeName) {
      // NEW_PASSWORD_REQUIRED (a temporary password), MFA: docker login cannot answer a challenge.
      this.log(
        JSON.stringify({
          level: 'warn',
          message: 'Cognito asked a login for a challenge docker cannot answer; set a permanent password (admin-set-user-password --permanent) or use a user without MFA',
          challenge: out.ChallengeName,
        }),
      );
      return null;
    }
    return out.AuthenticationResult ?? null;
  }
}
