/**
 * LoginLimiter: counts failed logins and says when an attempt must wait. The token endpoint
 * checks an attempt before it verifies the credential (a refused attempt costs no password
 * hash), records a failure when the credential is wrong and a success when it is right.
 *
 * Two counts, so that a stranger cannot lock a named user out:
 * - per (principal, client address) pair, with exponential backoff: the first `freeFailures`
 *   failures cost nothing, then each further one makes the pair wait `backoffSeconds`, doubled
 *   per failure, at most `maxBackoffSeconds`; the pair's failures are forgotten
 *   `pairMemorySeconds` after its last one, and at once on a success. The same user at another
 *   address is never slowed by them.
 * - per client address across all principal names (credential stuffing): `perAddress` failures
 *   within `windowSeconds` refuse that address until the window has passed. A success does not
 *   reset it (one right guess among many must not buy a fresh allowance).
 *
 * Embedded: in memory, per process; on Lambda a table shared by every container.
 */
export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Who tries to log in from where; either may be unknown (a refresh token names no principal). */
export interface LoginAttempt {
  /** The claimed user or client name (attacker-chosen text: adapters hash or bound it). */
  principal: string | null;
  /** The client's address, as the shell determined it. */
  address: string | null;
}

export interface LoginLimits {
  /** Failures of one (principal, address) pair before it has to wait. @default 5 */
  freeFailures: number;
  /** The first wait; each further failure doubles it. @default 1 */
  backoffSeconds: number;
  /** The longest wait of a pair. @default 300 */
  maxBackoffSeconds: number;
  /** A pair's failures are forgotten this long after its last one. @default 900 */
  pairMemorySeconds: number;
  /** Failures allowed per client address, across principal names, in the window. @default 20 */
  perAddress: number;
  /** The per-address window. @default 300 */
  windowSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  freeFailures: 5,
  backoffSeconds: 1,
  maxBackoffSeconds: 300,
  pairMemorySeconds: 900,
  perAddress: 20,
  windowSeconds: 300,
};

/** How long a pair with `failures` failures waits after the last one, in seconds (0: not at all). */
export function backoffSeconds(limits: LoginLimits, failures: number): number {
  if (failures < limits.freeFailures) return 0;
  return Math.min(limits.maxBackoffSeconds, limits.backoffSeconds * 2 ** Math.min(failures - limits.freeFailures, 30));
}

/** The one text key of a pair (adapters bound or hash it). */
export function pairKey(attempt: LoginAttempt): string | null {
  return attempt.principal === null ? null : `pair:${attempt.principal.slice(0, 256)}\n${attempt.address ?? ''}`;
}

export function addressKey(attempt: LoginAttempt): string | null {
  return attempt.address === null ? null : `address:${attempt.address.slice(0, 100)}`;
}

export interface LoginLimiter {
  /** Whether this attempt may go ahead now: neither its pair nor its address must wait. */
  check(attempt: LoginAttempt): Promise<LimitDecision>;
  /** One failed attempt, counted against its pair and its address. */
  recordFailure(attempt: LoginAttempt): Promise<void>;
  /** A successful login: forgets the failures of this pair (not those of the address). */
  recordSuccess(attempt: LoginAttempt): Promise<void>;
}
