/**
 * The OAuth2 client-credentials grant against a Cognito user pool domain's token endpoint
 * (`https://<domain>.auth.<region>.amazoncognito.com/oauth2/token`):
 *
 *   POST /oauth2/token
 *   Authorization: Basic base64(urlencode(client_id) ":" urlencode(client_secret))
 *   Content-Type: application/x-www-form-urlencoded
 *   grant_type=client_credentials[&scope=stowage/pull stowage/push]
 *
 *   200 {"access_token","expires_in","token_type":"Bearer"}
 *   400 {"error":"invalid_client" | "invalid_scope" | "unauthorized_client" | ...}
 *
 * Without `scope` Cognito grants every custom scope the app client is allowed. Nothing here is
 * logged; the secret leaves only in the Authorization header, over TLS on AWS.
 */

export type ClientCredentialsResult =
  | { ok: true; accessToken: string; expiresIn: number }
  /** The credential is wrong or may not use this grant: a failed login, not an outage. */
  | { ok: false; reason: 'invalid_client' | 'unauthorized_client' }
  /** The client may not have (some of) the scopes asked for. */
  | { ok: false; reason: 'invalid_scope' };

export class OAuth2ClientCredentials {
  constructor(
    private readonly tokenUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async requestToken(clientId: string, clientSecret: string, scopes: readonly string[] | null): Promise<ClientCredentialsResult> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scopes && scopes.length > 0) form.set('scope', scopes.join(' '));
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    let res: Response;
    try {
      res = await fetch(this.tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new Error(`Cognito token endpoint unreachable: ${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status === 200 && typeof body.access_token === 'string') {
      const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in);
      return { ok: true, accessToken: body.access_token, expiresIn: Number.isFinite(expiresIn) ? expiresIn : 3600 };
    }
    const error = typeof body.error === 'string' ? body.error : '';
    if (res.status === 401 || error === 'invalid_client' || error === 'unauthorized_client') {
      return { ok: false, reason: error === 'unauthorized_client' ? 'unauthorized_client' : 'invalid_client' };
    }
    if (error === 'invalid_scope') return { ok: false, reason: 'invalid_scope' };
    throw new Error(`Cognito token endpoint answered ${res.status}${error ? ` (${error.slice(0, 60)})` : ''}`);
  }
}
