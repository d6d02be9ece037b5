/**
 * The embedded IdentityProvider: local users (./users-file.ts, argon2id or bcrypt hashes; then,
 * with `--htpasswd`, an Apache htpasswd file, ./htpasswd.ts: the users file wins for a name in
 * both, so `stowage user add --update` can take a user over from the htpasswd file) and short-lived
 * ES256 JWTs signed with the data directory's key (./signing-key.ts), shaped like distribution's
 * registry tokens:
 *
 *   header  {"alg":"ES256","typ":"JWT","kid":"…"}
 *   claims  {"iss":"<issuer>","aud":"<service>","sub":"alice","iat":…,"nbf":…,"exp":…,"jti":"…",
 *            "access":[{"type":"repository","name":"team-a/app","actions":["pull","push"]}],
 *            "kind":"user","groups":["team-a"]}
 *
 * Verification pins the algorithm to ES256 (so `alg: none` and HS256-with-the-public-key
 * confusion fail), and requires our issuer, the service as audience, and an unexpired token.
 * There are no refresh tokens: docker keeps the password it logged in with and asks for a new
 * token when one expires, and a token that lives 5 minutes needs no revocation list. Removing a
 * user takes effect for logins at once and for tokens within their lifetime.
 *
 * There are no separate machine clients here: a client-credentials login is checked as a user
 * login (client id = user name), so a CI robot is a user with its own groups.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { z } from 'zod';
import type { AccessEntry } from '../../core/auth/access.js';
import { ANONYMOUS, type Principal } from '../../core/auth/principal.js';
import type { Authenticated, Credentials, IdentityProvider, IssuedToken, TokenRequest } from '../../ports/identity-provider.js';
import { verifyPassword, verifyUnknownUser } from './password-hash.js';
import type { HtpasswdFile } from './htpasswd.js';
import type { SigningKey } from './signing-key.js';
import type { UserRecord, UsersFile } from './users-file.js';

export const DEFAULT_TOKEN_TTL_SECONDS = 300;
const ALGORITHM = 'ES256';
/** Tokens are a few hundred bytes; anything far longer is not ours and is not parsed. */
const MAX_TOKEN_LENGTH = 16 * 1024;

const Claims = z.object({
  sub: z.string().min(1),
  kind: z.enum(['user', 'client', 'anonymous']),
  groups: z.array(z.string()).default([]),
  access: z.array(z.object({ type: z.string(), name: z.string(), actions: z.array(z.string()) })),
});

export interface EmbeddedIdentityOptions {
  users: UsersFile;
  /** Users of an htpasswd file, consulted for names the users file does not have. */
  htpasswd?: HtpasswdFile;
  key: SigningKey;
  /** The `iss` claim, checked on verification (the token endpoint's URL). */
  issuer: string;
  /** @default 300 (5 minutes) */
  tokenTtlSeconds?: number;
  /** @default Date.now */
  now?: () => number;
}

export class EmbeddedIdentityProvider implements IdentityProvider {
  private readonly ttl: number;
  private readonly now: () => number;

  constructor(private readonly options: EmbeddedIdentityOptions) {
    this.ttl = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    this.now = options.now ?? Date.now;
  }

  async authenticate(credentials: Credentials): Promise<Authenticated | null> {
    const [name, secret] = credentials.kind === 'password' ? [credentials.username, credentials.password] : [credentials.clientId, credentials.clientSecret];
    const user = await this.userNamed(name);
    // Unknown users cost one hash too, so response time says nothing about which names exist.
    if (!user) return verifyUnknownUser(secret).then(() => null);
    if (!(await verifyPassword(secret, user.passwordHash))) return null;
    return {
      principal: { subject: name, kind: 'user', groups: user.groups, clientId: null, scopes: [], grant: { kind: 'unrestricted' } },
    };
  }

  /** The users file's record of a name, else the htpasswd file's (no groups there). */
  private async userNamed(name: string): Promise<Pick<UserRecord, 'passwordHash' | 'groups'> | undefined> {
    const user = await this.options.users.get(name);
    if (user || !this.options.htpasswd) return user;
    const hash = await this.options.htpasswd.hashOf(name);
    return hash === undefined ? undefined : { passwordHash: hash, groups: [] };
  }

  async issueToken(authenticated: Authenticated, request: TokenRequest): Promise<IssuedToken> {
    const p = authenticated.principal;
    const iat = Math.floor(this.now() / 1000);
    const token = await new SignJWT({ kind: p.kind, groups: [...p.groups], access: request.access })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', kid: this.options.key.kid })
      .setIssuer(this.options.issuer)
      .setAudience(request.service)
      .setSubject(p.subject)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + this.ttl)
      .setJti(randomUUID())
      .sign(this.options.key.privateKey);
    return { token, expiresIn: this.ttl, issuedAt: new Date(iat * 1000) };
  }

  async verifyToken(token: string, service: string): Promise<Principal | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.options.key.publicKey, {
        algorithms: [ALGORITHM],
        issuer: this.options.issuer,
        audience: service,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        currentDate: new Date(this.now()),
      }));
    } catch {
      return null; // bad signature, expired, other issuer or audience, malformed: all just "not valid here"
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) return null;
    const { sub, kind, groups, access } = claims.data;
    const grant = { kind: 'access' as const, access: access as AccessEntry[] };
    if (kind === 'anonymous') return { ...ANONYMOUS, grant };
    return { subject: sub, kind, groups, clientId: null, scopes: [], grant };
  }
}
