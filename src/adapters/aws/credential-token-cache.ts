/**
 * Cognito access tokens cached per credential and scope, so that the many token requests one
 * `docker push` makes (one per repository and scope set, each with the same Basic credentials)
 * cost one Cognito call, not one each: InitiateAuth has a per-pool request quota, and
 * client-credentials tokens are billed per request.
 *
 *   key    SHA-256("<kind>\0<identity>\0<scope>")           no secret in it
 *   entry  { proof: HMAC-SHA256(process key, secret), token, expiresAt, ... }
 *
 * A lookup recomputes the proof from the presented secret and compares it with
 * crypto.timingSafeEqual; a wrong secret is a miss (the caller then asks Cognito, which refuses
 * it) and never evicts the right one. The secret itself is never stored: the HMAC key is random
 * per process, so the proofs are useless outside it. An entry is served only while its token
 * has at least `minRemainingSeconds` left (a token handed to docker must outlive its use; docker
 * refuses tokens under 60 s). Bounded: the oldest entries go first beyond `maxEntries`.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface CachedToken {
  accessToken: string;
  /** Epoch milliseconds, from the token's `exp`. */
  expiresAt: number;
  /** The verified claims of accessToken (the principal is rebuilt from them). */
  claims: Record<string, unknown>;
  /** A refresh token Cognito returned with it (people's logins only). */
  refreshToken?: string;
}

export interface CredentialTokenCacheOptions {
  /** @default 300 */
  minRemainingSeconds?: number;
  /** @default 10000 */
  maxEntries?: number;
  /** @default Date.now */
  now?: () => number;
}

interface Entry {
  proof: Buffer;
  value: CachedToken;
}

export type CredentialKind = 'user' | 'client';

export class CredentialTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly hmacKey = randomBytes(32);
  private readonly minRemainingMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: CredentialTokenCacheOptions = {}) {
    this.minRemainingMs = (options.minRemainingSeconds ?? 300) * 1000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  private key(kind: CredentialKind, identity: string, scope: string): string {
    return createHash('sha256').update(`${kind}\0${identity}\0${scope}`).digest('base64url');
  }

  private proof(secret: string): Buffer {
    return createHmac('sha256', this.hmacKey).update(secret).digest();
  }

  /** The cached token for this credential and scope, if the secret matches and it is fresh enough. */
  get(kind: CredentialKind, identity: string, secret: string, scope = ''): CachedToken | undefined {
    const key = this.key(kind, identity, scope);
    const entry = this.entries.get(key);
    const proof = this.proof(secret); // computed on a miss too: a lookup takes the same time either way
    if (!entry || !timingSafeEqual(proof, entry.proof)) return undefined;
    if (entry.value.expiresAt - this.now() < this.minRemainingMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(kind: CredentialKind, identity: string, secret: string, scope: string, value: CachedToken): void {
    const key = this.key(kind, identity, scope);
    this.entries.delete(key);
    if (value.expiresAt - this.now() < this.minRemainingMs) return; // would never be served
    this.entries.set(key, { proof: this.proof(secret), value });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
