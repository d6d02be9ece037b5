/**
 * The tokens the registry mints itself for IAM logins: ES256 JWTs signed by the deployment's
 * KMS key (./kms-token-signer.ts), verified with its public key. Two uses, told apart by the
 * `use` claim so that one never passes for the other:
 *
 *   login    the registry password `stowage login` prints (docker sends it as Basic AWS:<it>
 *            to /token); lifetime iamLogin.passwordTtl (12 h)
 *   access   the bearer token /token hands docker: `access` entries (exact repositories and
 *            actions, as the policy granted them), audience = the service; lifetime tokenTtl
 *
 *   header  {"alg":"ES256","typ":"JWT","kid":<key id>}
 *   payload {"iss":"stowage","sub":<ARN>,"use":"login"|"access","iat","exp","jti"[,"aud","access"]}
 *
 * The key belongs to one deployment, so a token of another registry never verifies here; the
 * `aud` of access tokens is still checked where the service is known.
 */
import { randomUUID, verify } from 'node:crypto';
import type { AccessEntry } from '../../ports/principal.js';
import type { TokenSigner } from './kms-token-signer.js';

export const REGISTRY_TOKEN_ISSUER = 'stowage';
const MAX_TOKEN_LENGTH = 16 * 1024;
const CLOCK_SKEW_SECONDS = 30;

export type RegistryTokenUse = 'login' | 'access';

export interface RegistryTokenClaims {
  sub: string;
  use: RegistryTokenUse;
  iat: number;
  exp: number;
  aud?: string;
  access?: AccessEntry[];
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export class RegistryTokens {
  constructor(
    private readonly signer: TokenSigner,
    private readonly now: () => number = Date.now,
  ) {}

  /** Mints a token of `use` for `sub`, valid `ttlSeconds`. */
  async mint(claims: {
    sub: string;
    use: RegistryTokenUse;
    ttlSeconds: number;
    aud?: string;
    access?: AccessEntry[];
  }): Promise<{ token: string; issuedAt: Date; expiresIn: number }> {
    const iat = Math.floor(this.now() / 1000);
    const payload = {
      iss: REGISTRY_TOKEN_ISSUER,
      sub: claims.sub,
      use: claims.use,
      iat,
      exp: iat + claims.ttlSeconds,
      jti: randomUUID(),
      ...(claims.aud !== undefined && { aud: claims.aud }),
      ...(claims.access && { access: claims.access }),
    };
    const input = `${b64({ alg: 'ES256', typ: 'JWT', kid: this.signer.keyId })}.${b64(payload)}`;
    const signature = await this.signer.sign(Buffer.from(input));
    return { token: `${input}.${signature.toString('base64url')}`, issuedAt: new Date(iat * 1000), expiresIn: claims.ttlSeconds };
  }

  /** Whether `token` claims to be one of ours (its header names our key); cheap, verifies nothing. */
  isOurs(token: string): boolean {
    const header = parseJson(token.split('.', 1)[0] ?? '');
    return header?.kid === this.signer.keyId && header.alg === 'ES256';
  }

  /** The claims of a valid token of `use` (and `audience`, when given); null for anything else. */
  async verify(token: string, use: RegistryTokenUse, audience?: string): Promise<RegistryTokenClaims | null> {
    if (token.length > MAX_TOKEN_LENGTH || !this.isOurs(token)) return null;
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const signature = Buffer.from(parts[2]!, 'base64url');
    if (signature.length !== 64) return null;
    const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: await this.signer.publicKey(), dsaEncoding: 'ieee-p1363' }, signature);
    if (!ok) return null;
    const p = parseJson(parts[1]!);
    if (!p || p.iss !== REGISTRY_TOKEN_ISSUER || p.use !== use || typeof p.sub !== 'string' || typeof p.exp !== 'number' || typeof p.iat !== 'number') return null;
    const now = this.now() / 1000;
    if (p.exp <= now - CLOCK_SKEW_SECONDS || p.iat > now + CLOCK_SKEW_SECONDS) return null;
    if (audience !== undefined && p.aud !== audience) return null;
    const access = p.access === undefined ? undefined : accessEntries(p.access);
    if (access === null) return null;
    return { sub: p.sub, use, iat: p.iat, exp: p.exp, ...(typeof p.aud === 'string' && { aud: p.aud }), ...(access && { access }) };
  }
}

function parseJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function accessEntries(value: unknown): AccessEntry[] | null {
  if (!Array.isArray(value)) return null;
  const out: AccessEntry[] = [];
  for (const e of value as Record<string, unknown>[]) {
    if (typeof e?.type !== 'string' || typeof e.name !== 'string' || !Array.isArray(e.actions) || !e.actions.every((a) => typeof a === 'string')) return null;
    out.push({ type: e.type, name: e.name, actions: e.actions as string[] });
  }
  return out;
}
