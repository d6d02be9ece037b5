/**
 * In-memory LoginLimiter for the embedded server: per key, the times of recent failures within
 * a sliding window. A key with `maxFailures` failures in the window is refused until the oldest
 * of them leaves it (Retry-After says when). Defaults: 5 failures per principal and 20 per
 * client address in 5 minutes. The per-principal limit also lets a stranger lock a known user
 * name out for a few minutes; that is the usual price of stopping password guessing, and the
 * window keeps it short. Memory is bounded: at most `maxKeys` keys, the stalest dropped first.
 */
import type { LimitDecision, LoginLimiter } from '../../ports/login-limiter.js';

export interface LoginLimits {
  /** Failures allowed per principal key (`principal:…`) in the window. @default 5 */
  perPrincipal: number;
  /** Failures allowed per client-address key (`address:…`) in the window. @default 20 */
  perAddress: number;
  /** @default 300 */
  windowSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perPrincipal: 5, perAddress: 20, windowSeconds: 300 };

export class MemoryLoginLimiter implements LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  private limitOf(key: string): number {
    return key.startsWith('address:') ? this.limits.perAddress : this.limits.perPrincipal;
  }

  private recent(key: string): number[] {
    const since = this.now() - this.limits.windowSeconds * 1000;
    const times = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) this.failures.delete(key);
    else this.failures.set(key, times);
    return times;
  }

  async check(keys: readonly string[]): Promise<LimitDecision> {
    let wait = 0;
    for (const key of keys) {
      const times = this.recent(key);
      const limit = this.limitOf(key);
      if (times.length >= limit) {
        // Allowed again once enough failures have aged out to leave room for one more.
        const freeing = times[times.length - limit]!;
        wait = Math.max(wait, Math.ceil((freeing + this.limits.windowSeconds * 1000 - this.now()) / 1000));
      }
    }
    return wait > 0 ? { allowed: false, retryAfterSeconds: wait } : { allowed: true };
  }

  async recordFailure(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const times = this.recent(key);
      times.push(this.now());
      this.failures.delete(key); // re-insert: Map order is then least recently failed first
      this.failures.set(key, times.slice(-Math.max(this.limits.perAddress, this.limits.perPrincipal)));
    }
    while (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }

  async recordSuccess(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.failures.delete(key);
  }
}
