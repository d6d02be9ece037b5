/**
 * The Docker token endpoint (`GET /token`, `POST /token`): credentials in, a bearer token out.
 *
 *   GET  /token?service=S&scope=repository:a:pull,push&scope=...&offline_token=true
 *        Authorization: Basic base64(user:password)         (absent: an anonymous token)
 *   POST /token  (application/x-www-form-urlencoded, OAuth2 as docker and containerd send it)
 *        grant_type=password&username=U&password=P&service=S&scope=a b
 *        grant_type=client_credentials&client_id=C&client_secret=X   (or Basic C:X)
 *        grant_type=refresh_token&refresh_token=R
 *        grant_type=urn:stowage:params:oauth:grant-type:aws-iam&aws_iam_request=...   (./iam-login.ts)
 *
 *   200 {"token","access_token","expires_in","issued_at"[,"refresh_token"]}
 *
 * - What is asked for beyond the policy is left out of the token, never refused (docker asks
 *   for pull,push when it only may pull); the token may grant nothing at all.
 * - A `service` other than ours is a 400 that names ours: a token for a service we are not
 *   would never verify here, and saying so at once beats a confusing 401 on the next request.
 * - Wrong credentials: 401 UNAUTHORIZED with one message whatever was wrong (unknown user, wrong
 *   password, bad client secret); the provider makes the timing equal.
 * - Failed logins are counted per (principal, client address) pair, with exponential backoff,
 *   and per client address across names (src/ports/login-limiter.ts): a throttled attempt gets
 *   429 TOOMANYREQUESTS with Retry-After before any password hash is computed. Failures at one
 *   address never throttle the same user at another.
 * - IAM login (`stowage login`, ./iam-login.ts): the provider checks and sends the signed
 *   sts:GetCallerIdentity request (TokenIssuer.exchangeIamIdentity); an identity no policy rule
 *   names is refused. Its refusals are 401 UNAUTHORIZED with the provider's reason (nothing is
 *   guessed: the caller knows its own identity), and count as failed logins of the address. The
 *   answer always carries a refresh token: the registry password `stowage login` prints. A
 *   provider without IAM login (the embedded server, a stack with iamLogin off) answers 501.
 */
import { readAll } from '../body.js';
import { RegistryError } from '../errors.js';
import { errorResponse } from '../error-response.js';
import { jsonResponse, type RegistryResponse } from '../messages.js';
import { validateName } from '../names.js';
import type { Authenticated, Credentials, SignedHttpRequest, TokenIssuer } from '../../ports/token-issuer.js';
import { AnonymousTokensUnsupported, LoginRefused } from '../../ports/token-issuer.js';
import type { LoginAttempt } from '../../ports/login-limiter.js';
import { expandActions, parseScopes, type AccessEntry } from './access.js';
import { decodeSignedRequest, IAM_GRANT_TYPE, IAM_REQUEST_FIELD } from './iam-login.js';
import { ANONYMOUS, type Principal } from './principal.js';
import type { AccessPolicy } from './settings.js';
import type { AuthSettings } from './settings.js';

/** What the token endpoint needs: the auth settings, of whose provider only the login half (TokenIssuer). */
export type TokenSettings = Pick<AuthSettings, 'policy' | 'limiter' | 'service'> & { provider: TokenIssuer };

export interface TokenRequestInput {
  method: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: AsyncIterable<Uint8Array>;
  clientAddress: string | null;
}

export interface TokenOutcome {
  response: RegistryResponse;
  /** Who got a token (null when none was issued). */
  principal: Principal | null;
  /** The name a failed login claimed (for the audit line; never a password). */
  claimed: string | null;
  error: RegistryError | null;
}

const MAX_FORM_BYTES = 16 * 1024;
const BAD_CREDENTIALS = 'invalid username or password';

type Login =
  | { kind: 'anonymous' }
  | { kind: 'credentials'; credentials: Credentials; claimed: string }
  | { kind: 'refresh'; refreshToken: string }
  | { kind: 'iam'; request: SignedHttpRequest };

function basicCredentials(header: string | undefined): { user: string; secret: string } | null | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

const badCredentials = () => new RegistryError('UNAUTHORIZED', BAD_CREDENTIALS);
const badRequest = (message: string) => new RegistryError('BAD_REQUEST', message);

async function readForm(input: TokenRequestInput): Promise<URLSearchParams> {
  const type = (input.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw badRequest('POST /token takes an application/x-www-form-urlencoded form (OAuth2)');
  const bytes = await readAll(input.body, MAX_FORM_BYTES, () => badRequest(`the token request form is larger than ${MAX_FORM_BYTES} bytes`));
  return new URLSearchParams(bytes.toString('utf8'));
}

/** What the request asks for: a login, the scopes, the service and whether a refresh token is wanted. */
async function parseRequest(input: TokenRequestInput): Promise<{ login: Login; params: URLSearchParams; scopes: string[] }> {
  const basic = basicCredentials(input.headers.authorization);
  if (basic === null) throw badCredentials();
  if (input.method === 'GET') {
    const login: Login = basic
      ? { kind: 'credentials', credentials: { kind: 'password', username: basic.user, password: basic.secret }, claimed: basic.user }
      : { kind: 'anonymous' };
    return { login, params: input.query, scopes: input.query.getAll('scope') };
  }
  const form = await readForm(input);
  const scopes = form.getAll('scope');
  const grant = form.get('grant_type');
  const field = (name: string) => form.get(name) ?? '';
  switch (grant) {
    case 'password':
      if (!form.get('username')) throw badRequest('grant_type=password needs username and password');
      return {
        login: { kind: 'credentials', credentials: { kind: 'password', username: field('username'), password: field('password') }, claimed: field('username') },
        params: form,
        scopes,
      };
    case 'client_credentials': {
      const clientId = form.get('client_id') ?? basic?.user ?? '';
      const clientSecret = form.get('client_secret') ?? basic?.secret ?? '';
      if (!clientId) throw badRequest('grant_type=client_credentials needs client_id and client_secret (form fields or Basic credentials)');
      return { login: { kind: 'credentials', credentials: { kind: 'client', clientId, clientSecret }, claimed: clientId }, params: form, scopes };
    }
    case 'refresh_token':
      if (!form.get('refresh_token')) throw badRequest('grant_type=refresh_token needs refresh_token');
      return { login: { kind: 'refresh', refreshToken: field('refresh_token') }, params: form, scopes };
    case IAM_GRANT_TYPE: {
      const request = decodeSignedRequest(field(IAM_REQUEST_FIELD));
      if (typeof request === 'string') throw badRequest(`IAM login: ${request} (stowage login builds it)`);
      return { login: { kind: 'iam', request }, params: form, scopes };
    }
    default:
      throw badRequest(`unsupported grant_type "${(grant ?? '').slice(0, 60)}": use password, client_credentials, refresh_token or ${IAM_GRANT_TYPE}`);
  }
}

/** The part of the requested access the policy allows this principal; possibly nothing. */
export function grantableAccess(policy: AccessPolicy, principal: Principal, requested: readonly AccessEntry[]): AccessEntry[] {
  const granted: AccessEntry[] = [];
  for (const entry of requested) {
    if (entry.type === 'registry' && entry.name === 'catalog') {
      if (entry.actions.includes('*') && policy.allows(principal, null, 'catalog')) granted.push({ type: 'registry', name: 'catalog', actions: ['*'] });
      continue;
    }
    if (entry.type !== 'repository') continue;
    let name: string;
    try {
      name = validateName(entry.name);
    } catch {
      continue;
    }
    const actions = [...expandActions(entry.actions)].filter((a) => policy.allows(principal, name, a));
    if (actions.length > 0) granted.push({ type: 'repository', name, actions });
  }
  return granted;
}

export async function tokenEndpoint(settings: TokenSettings, input: TokenRequestInput): Promise<TokenOutcome> {
  let claimed: string | null = null;
  try {
    const { login, params, scopes } = await parseRequest(input);
    const service = params.get('service') ?? settings.service;
    if (service !== settings.service) {
      throw badRequest(
        `this registry's token service is "${settings.service}", not "${service.slice(0, 100)}": ask for service=${settings.service}, as the registry's WWW-Authenticate challenge says`,
      );
    }
    // IAM login's answer is the registry password: a refresh token, always.
    const offline = login.kind === 'iam' || params.get('offline_token') === 'true' || params.get('access_type') === 'offline';

    let authenticated: Authenticated | null;
    if (login.kind === 'anonymous') {
      authenticated = { principal: ANONYMOUS };
    } else if (login.kind === 'refresh') {
      const attempt: LoginAttempt = { principal: null, address: input.clientAddress };
      await checkLimit(settings, attempt);
      if (!settings.provider.refresh) throw badRequest('this registry issues no refresh tokens: log in with a password or client secret');
      authenticated = await settings.provider.refresh(login.refreshToken, settings.service);
      if (!authenticated) {
        await settings.limiter.recordFailure(attempt);
        throw new RegistryError('UNAUTHORIZED', 'the refresh token is invalid or expired: log in again');
      }
    } else if (login.kind === 'iam') {
      authenticated = await iamLogin(settings, login.request, service, input.clientAddress);
      claimed = authenticated.principal.subject;
    } else {
      claimed = login.claimed;
      const attempt: LoginAttempt = { principal: claimed, address: input.clientAddress };
      await checkLimit(settings, attempt);
      authenticated = await settings.provider.authenticate(login.credentials, { clientAddress: input.clientAddress });
      if (!authenticated) {
        await settings.limiter.recordFailure(attempt);
        throw badCredentials();
      }
      await settings.limiter.recordSuccess(attempt);
    }

    const access = grantableAccess(settings.policy, authenticated.principal, parseScopes(scopes));
    let issued: Awaited<ReturnType<TokenIssuer['issueToken']>>;
    try {
      issued = await settings.provider.issueToken(authenticated, { service: settings.service, access, offline });
    } catch (err) {
      if (err instanceof AnonymousTokensUnsupported) throw new RegistryError('UNAUTHORIZED', 'this registry needs credentials: log in');
      throw err;
    }
    const body: Record<string, unknown> = {
      token: issued.token,
      access_token: issued.token,
      expires_in: issued.expiresIn,
      issued_at: issued.issuedAt.toISOString(),
    };
    if (issued.refreshToken) body.refresh_token = issued.refreshToken;
    return {
      response: jsonResponse(200, body, { 'cache-control': 'no-store', pragma: 'no-cache' }),
      principal: authenticated.principal,
      claimed,
      error: null,
    };
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    return { response: errorResponseOf(err), principal: null, claimed, error: err };
  }
}

async function iamLogin(settings: TokenSettings, request: SignedHttpRequest, service: string, clientAddress: string | null): Promise<Authenticated> {
  const exchange = settings.provider.exchangeIamIdentity?.bind(settings.provider);
  if (!exchange) {
    throw new RegistryError(
      'NOT_IMPLEMENTED',
      'this registry offers no IAM login (stowage login): IAM login is part of the AWS deployment with iamLogin on, never of the embedded server; log in with a user name and password',
    );
  }
  const attempt: LoginAttempt = { principal: null, address: clientAddress };
  await checkLimit(settings, attempt);
  try {
    return await exchange(request, { service, knowsPrincipal: (p) => settings.policy.namesPrincipal(p) });
  } catch (err) {
    if (!(err instanceof LoginRefused)) throw err;
    await settings.limiter.recordFailure(attempt);
    throw new RegistryError('UNAUTHORIZED', `IAM login refused: ${err.message}`);
  }
}

async function checkLimit(settings: TokenSettings, attempt: LoginAttempt): Promise<void> {
  const decision = await settings.limiter.check(attempt);
  if (!decision.allowed) {
    throw new RegistryError('TOOMANYREQUESTS', `too many failed logins: wait ${decision.retryAfterSeconds} s before trying again`, {
      retryAfterSeconds: decision.retryAfterSeconds,
    });
  }
}

/** The core's error response; like every token answer, never to be cached. */
function errorResponseOf(err: RegistryError): RegistryResponse {
  const res = errorResponse(err);
  return { ...res, headers: { ...res.headers, 'cache-control': 'no-store' } };
}
