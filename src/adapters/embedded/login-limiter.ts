/**
 * In-memory LoginLimiter for the embedded server (the contract is in src/ports/login-limiter.ts):
 * per (principal, address) pair the failure count and the time of the last failure, for the
 * exponential backoff; per address the times of recent failures within a sliding window.
 * Memory is bounded: at most `maxKeys` entries of each kind, the stalest dropped first.
 */
import {
  addressKey,
  backoffSeconds,
  DEFAULT_LOGIN_LIMITS,
  type LimitDecision,
  type LoginAttempt,
  type LoginLimiter,
  type LoginLimits,
  pairKey,
} from '../../ports/login-limiter.js';

interface PairFailures {
  failures: number;
  lastAt: number;
}

export class MemoryLoginLimiter implements LoginLimiter {
  private readonly pairs = new Map<string, PairFailures>();
  private readonly addresses = new Map<string, number[]>();

  constructor(
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  private pair(key: string): PairFailures | undefined {
    const entry = this.pairs.get(key);
    if (entry && entry.lastAt + this.limits.pairMemorySeconds * 1000 <= this.now()) {
      this.pairs.delete(key);
      return undefined;
    }
    return entry;
  }

  private recent(key: string): number[] {
    const since = this.now() - this.limits.windowSeconds * 1000;
    const times = (this.addresses.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) this.addresses.delete(key);
    else this.addresses.set(key, times);
    return times;
  }

  async check(attempt: LoginAttempt): Promise<LimitDecision> {
    let waitMs = 0;
    const pk = pairKey(attempt);
    const pair = pk === null ? undefined : this.pair(pk);
    if (pair) waitMs = pair.lastAt + backoffSeconds(this.limits, pair.failures) * 1000 - this.now();
    const ak = addressKey(attempt);
    if (ak !== null) {
      const times = this.recent(ak);
      if (times.length >= this.limits.perAddress) {
        // Allowed again once enough failures have aged out to leave room for one more.
        const freeing = times[times.length - this.limits.perAddress]!;
        waitMs = Math.max(waitMs, freeing + this.limits.windowSeconds * 1000 - this.now());
      }
    }
    return waitMs > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) } : { allowed: true };
  }

  async recordFailure(attempt: LoginAttempt): Promise<void> {
    const pk = pairKey(attempt);
    if (pk !== null) {
      const failures = (this.pair(pk)?.failures ?? 0) + 1;
      this.pairs.delete(pk); // re-insert: Map order is then least recently failed first
      this.pairs.set(pk, { failures, lastAt: this.now() });
      bound(this.pairs, this.maxKeys);
    }
    const ak = addressKey(attempt);
    if (ak !== null) {
      const times = this.recent(ak);
      times.push(this.now());
      this.addresses.delete(ak);
      this.addresses.set(ak, times.slice(-this.limits.perAddress));
      bound(this.addresses, this.maxKeys);
    }
  }

  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    const pk = pairKey(attempt);
    if (pk !== null) this.pairs.delete(pk);
  }
}

function bound(map: Map<string, unknown>, max: number): void {
  while (map.size > max) map.delete(map.keys().next().value!);
}
