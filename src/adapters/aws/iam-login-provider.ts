/**
 * IAM login on AWS: an IdentityProvider around the Cognito one that adds what `stowage login`
 * needs and hands everything else to Cognito.
 *
 *   exchangeIamIdentity   a signed sts:GetCallerIdentity request (checked by
 *                         ./sts-login-request.ts, sent by ./sts-caller-identity.ts) -> a
 *                         principal of kind `iam` whose subject is the caller's ARN (a role
 *                         session as its role); refused unless a policy rule names it
 *   authenticate          user name `AWS` (IAM_LOGIN_USERNAME) with a registry password (a
 *                         `login` token) -> that principal; any other credential -> Cognito
 *   refresh               the same password as an OAuth2 refresh token -> that principal
 *   issueToken            for an `iam` principal: a registry-minted `access` token with exactly
 *                         the granted entries (plus the password, for an IAM login, or when
 *                         docker asks for a refresh token); else Cognito's
 *   verifyToken           a registry-minted access token (its header names our key) -> an `iam`
 *                         principal with an `access` grant; anything else -> Cognito
 *
 * Minted tokens (./registry-tokens.ts) cost a KMS signature, not a Cognito token: machine logins
 * stop paying Cognito's per-token price. A Cognito user literally named `AWS` cannot log in
 * with a password here; IAM login owns that name, as with ECR.
 */
import { IAM_LOGIN_USERNAME } from '../../core/auth/iam-login.js';
import type { Principal } from '../../ports/principal.js';
import type { Authenticated, Credentials, IdentityProvider, IssuedToken, TokenRequest } from '../../ports/identity-provider.js';
import { LoginRefused, type SignedHttpRequest } from '../../ports/token-issuer.js';
import type { RegistryTokens } from './registry-tokens.js';
import { checkStsLoginRequest } from './sts-login-request.js';
import { principalArn, type StsCall } from './sts-caller-identity.js';

export interface IamLoginOptions {
  tokens: RegistryTokens;
  sts: StsCall;
  /** Lifetime of access tokens, seconds (the tokenTtl setting). */
  tokenTtlSeconds: number;
  /** Lifetime of the registry password, seconds (iamLogin.passwordTtl). */
  passwordTtlSeconds: number;
  now?: () => number;
}

/** What an IAM authentication carries to issueToken: the password it came with, if any. */
interface IamState {
  iam: true;
  password?: string;
}

const iamPrincipal = (arn: string, grant: Principal['grant']): Principal => ({ subject: arn, kind: 'iam', groups: [], clientId: null, scopes: [], grant });

export class IamLoginProvider implements IdentityProvider {
  private readonly now: () => number;

  constructor(
    private readonly inner: IdentityProvider,
    private readonly options: IamLoginOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async exchangeIamIdentity(request: SignedHttpRequest, context: { service: string; knowsPrincipal: (principal: Principal) => boolean }): Promise<Authenticated> {
    const url = checkStsLoginRequest(request, context.service, this.now());
    const identity = await this.options.sts(request, url);
    const principal = iamPrincipal(principalArn(identity.arn), { kind: 'unrestricted' });
    if (!context.knowsPrincipal(principal)) {
      throw new LoginRefused(`no policy rule names ${principal.subject} (add it, or a pattern, under a rule's principals.iam)`);
    }
    const state: IamState = { iam: true };
    return { principal, state };
  }

  async authenticate(credentials: Credentials, context: { clientAddress: string | null }): Promise<Authenticated | null> {
    if (credentials.kind === 'password' && credentials.username === IAM_LOGIN_USERNAME) return this.fromPassword(credentials.password);
    return this.inner.authenticate(credentials, context);
  }

  async refresh(refreshToken: string, service: string): Promise<Authenticated | null> {
    if (this.options.tokens.isOurs(refreshToken)) return this.fromPassword(refreshToken);
    return this.inner.refresh ? this.inner.refresh(refreshToken, service) : null;
  }

  async issueToken(authenticated: Authenticated, request: TokenRequest): Promise<IssuedToken> {
    const state = authenticated.state as IamState | undefined;
    if (authenticated.principal.kind !== 'iam' || !state?.iam) return this.inner.issueToken(authenticated, request);
    const sub = authenticated.principal.subject;
    const access = await this.options.tokens.mint({ sub, use: 'access', ttlSeconds: this.options.tokenTtlSeconds, aud: request.service, access: request.access });
    let refreshToken: string | undefined;
    // A docker that logged in with the password and asks for a refresh token gets the same
    // password back: a refresh never outlives the IAM login it came from.
    if (request.offline) refreshToken = state.password ?? (await this.options.tokens.mint({ sub, use: 'login', ttlSeconds: this.options.passwordTtlSeconds })).token;
    return { token: access.token, expiresIn: access.expiresIn, issuedAt: access.issuedAt, ...(refreshToken && { refreshToken }) };
  }

  /** `service` absent (the authorizer, which serves every host name of the stack): the key alone binds the token to this deployment. */
  async verifyToken(token: string, service?: string): Promise<Principal | null> {
    if (!this.options.tokens.isOurs(token)) return this.inner.verifyToken(token, service as string);
    const claims = await this.options.tokens.verify(token, 'access', service);
    return claims ? iamPrincipal(claims.sub, { kind: 'access', access: claims.access ?? [] }) : null;
  }

  /** A registry password (a `login` token) -> its IAM principal; null when it is not valid. */
  private async fromPassword(password: string): Promise<Authenticated | null> {
    const claims = await this.options.tokens.verify(password, 'login');
    if (!claims) return null;
    const state: IamState = { iam: true, password };
    return { principal: iamPrincipal(claims.sub, { kind: 'unrestricted' }), state };
  }
}
