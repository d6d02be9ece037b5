/**
 * LoginLimiter: counts failed logins per key (a principal name, a client address) and says when
 * a key must wait. The token endpoint checks every key of an attempt before it verifies the
 * credential (a blocked attempt costs no password hash) and records a failure for each key
 * when the credential is wrong. Embedded: in memory, per process; on AWS a shared store can
 * take its place behind this port.
 */
export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface LoginLimiter {
  /** Whether an attempt for all of `keys` may go ahead now. */
  check(keys: readonly string[]): Promise<LimitDecision>;
  /** One failed attempt, counted against each key. */
  recordFailure(keys: readonly string[]): Promise<void>;
  /** A successful login: forgets the failures of these keys (the principal's, not the address's). */
  recordSuccess(keys: readonly string[]): Promise<void>;
}
