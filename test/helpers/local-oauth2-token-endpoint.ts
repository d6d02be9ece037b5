/**
 * LocalOAuth2TokenEndpoint: a stand-in for a Cognito user pool domain's `/oauth2/token`, for the
 * OAuth2 client-credentials grant, which cognito-local does not have (nor resource servers and
 * custom scopes). It is NOT Cognito: it reproduces, at the HTTP boundary, only what the
 * registry's client (src/adapters/aws/oauth2-client-credentials.ts) relies on, as Cognito
 * documents it:
 *
 *   POST /oauth2/token  Authorization: Basic base64(client_id:client_secret)  (or client_id and
 *   client_secret in the form), grant_type=client_credentials[&scope=a b]
 *   200 {"access_token","expires_in","token_type":"Bearer"}  RS256 access token with Cognito's
 *       machine claims: sub = client_id = client_id, token_use access, scope, iss, exp, iat,
 *       auth_time, jti, version 2; no username, no groups, no aud
 *   400 {"error":"invalid_client"}     unknown client or wrong secret
 *   400 {"error":"invalid_scope"}      a scope the client may not have
 *   400 {"error":"unauthorized_client"} a client without the client-credentials grant
 *   400 {"error":"unsupported_grant_type"}
 *   Without `scope`: every scope the client may have.
 *
 * It signs with its own RSA key and serves the JWKS at `/<pool>/.well-known/jwks.json` under its
 * own issuer, or, with `signWith`, with another key and issuer: the tests pass cognito-local's
 * (as on AWS, where InitiateAuth and the domain's token endpoint sign with the pool's one key).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { exportJWK, importJWK, SignJWT, type JWK } from 'jose';

export interface LocalClient {
  clientId: string;
  clientSecret: string;
  /** Scopes it may have (`stowage/pull`, ...). */
  scopes: string[];
  /** @default true */
  clientCredentials?: boolean;
}

export interface SigningIdentity {
  /** A private RSA JWK (with `kid`). */
  privateJwk: JWK;
  issuer: string;
}

export interface LocalOAuth2TokenEndpointOptions {
  poolId?: string;
  clients: LocalClient[];
  /** @default 3600 */
  accessTokenValiditySeconds?: number;
  /** @default its own key and issuer http://127.0.0.1:PORT/<pool> */
  signWith?: SigningIdentity;
}

export interface LocalOAuth2TokenEndpoint {
  tokenUrl: string;
  issuer: string;
  jwksUri: string;
  /** Token requests answered 200, per client id (what the registry's token cache saves). */
  issued: Map<string, number>;
  /** Every request's `scope` parameter (null when absent), in order. */
  requestedScopes: (string | null)[];
  stop(): Promise<void>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export async function startLocalOAuth2TokenEndpoint(options: LocalOAuth2TokenEndpointOptions): Promise<LocalOAuth2TokenEndpoint> {
  const poolId = options.poolId ?? 'us-east-1_LocalOAuth';
  let privateJwk = options.signWith?.privateJwk;
  let publicJwk: JWK | undefined;
  if (!privateJwk) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = `local-oauth2-${randomUUID().slice(0, 8)}`;
    privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
    publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  }
  const signingKey = await importJWK(privateJwk, 'RS256');
  const validity = options.accessTokenValiditySeconds ?? 3600;
  const issued = new Map<string, number>();
  const requestedScopes: (string | null)[] = [];
  let issuer = options.signWith?.issuer ?? '';

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
        };
        const url = new URL(req.url ?? '/', 'http://local');
        if (req.method === 'GET' && url.pathname === `/${poolId}/.well-known/jwks.json` && publicJwk) return send(200, { keys: [publicJwk] });
        if (req.method !== 'POST' || url.pathname !== '/oauth2/token') return send(404, { error: 'not_found' });
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        let clientId = form.get('client_id') ?? '';
        let clientSecret = form.get('client_secret') ?? '';
        const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
        if (basic) {
          const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
          const colon = decoded.indexOf(':');
          clientId = decodeURIComponent(decoded.slice(0, colon));
          clientSecret = decodeURIComponent(decoded.slice(colon + 1));
        }
        if (form.get('grant_type') !== 'client_credentials') return send(400, { error: 'unsupported_grant_type' });
        const client = options.clients.find((c) => c.clientId === clientId);
        if (!client || !timingSafeEqual(digest(client.clientSecret), digest(clientSecret))) return send(400, { error: 'invalid_client' });
        if (client.clientCredentials === false) return send(400, { error: 'unauthorized_client' });
        const asked = form.get('scope');
        requestedScopes.push(asked);
        const scopes = asked === null ? client.scopes : asked.split(' ').filter(Boolean);
        if (scopes.length === 0 || scopes.some((s) => !client.scopes.includes(s))) return send(400, { error: 'invalid_scope' });
        const now = Math.floor(Date.now() / 1000);
        const token = await new SignJWT({ client_id: clientId, token_use: 'access', scope: scopes.join(' '), auth_time: now, version: 2, jti: randomUUID() })
          .setProtectedHeader({ alg: 'RS256', kid: privateJwk!.kid! })
          .setSubject(clientId)
          .setIssuer(issuer)
          .setIssuedAt(now)
          .setExpirationTime(now + validity)
          .sign(signingKey);
        issued.set(clientId, (issued.get(clientId) ?? 0) + 1);
        send(200, { access_token: token, expires_in: validity, token_type: 'Bearer' });
      })().catch((err: Error) => res.writeHead(500).end(err.message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (!issuer) issuer = `${base}/${poolId}`;
  return {
    tokenUrl: `${base}/oauth2/token`,
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    issued,
    requestedScopes,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
