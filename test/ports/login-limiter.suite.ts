/**
 * The LoginLimiter contract (src/ports/login-limiter.ts), run against the in-memory limiter and
 * the DynamoDB one. Both take the same limits and a clock. A (user, address) pair backs off
 * exponentially after `freeFailures` failures, up to a cap, and is forgotten on success or after
 * `pairMemorySeconds`; an address is limited across names within a window. The in-memory
 * limiter counts the address in a sliding window and the DynamoDB one in fixed windows, so the
 * suite pins the clock 10 s into a window and asserts only what both promise.
 *
 * Every test uses names and addresses of its own. The port has no listing, so the leftover
 * check is through the port: after every test, attempts whose failures were forgotten are
 * allowed again.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { LoginAttempt, LoginLimiter, LoginLimits } from '../../src/ports/login-limiter.js';

const LIMITS: LoginLimits = { freeFailures: 3, backoffSeconds: 1, maxBackoffSeconds: 8, pairMemorySeconds: 60, perAddress: 20, windowSeconds: 300 };
/** 10 s into a 300 s window of the epoch (fixed-window adapters count from there). */
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % 300_000) + 10_000;

export function loginLimiterSuite(name: string, setup: (limits: LoginLimits, now: () => number) => Promise<LoginLimiter>): void {
  describe(name, () => {
    let now = T0;
    let forgotten: LoginAttempt[] = [];
    let limiter: LoginLimiter | undefined;
    const start = async () => {
      now = T0;
      forgotten = [];
      limiter = await setup(LIMITS, () => now);
      return limiter;
    };
    const id = randomUUID().slice(0, 8);
    const user = (n: string) => `${n}-${id}-${randomUUID().slice(0, 4)}`;
    const address = () => `198.51.100.${Math.floor(Math.random() * 250)}-${randomUUID().slice(0, 4)}`;
    const attempt = (principal: string | null, addr: string | null): LoginAttempt => ({ principal, address: addr });
    const ALLOWED = { allowed: true };
    const waitOf = async (l: LoginLimiter, a: LoginAttempt) => {
      const decision = await l.check(a);
      assert.equal(decision.allowed, false, `${a.principal} at ${a.address} must wait`);
      return decision.allowed ? 0 : decision.retryAfterSeconds;
    };
    const fail = async (l: LoginLimiter, a: LoginAttempt, times: number) => {
      for (let i = 0; i < times; i++) await l.recordFailure(a);
    };

    afterEach(async () => {
      if (!limiter) return;
      for (const a of forgotten) assert.deepEqual(await limiter.check(a), ALLOWED, `forgotten: ${a.principal} at ${a.address}`);
      limiter = undefined;
    });

    test('check: fresh attempts, and attempts naming nothing, are allowed', async () => {
      const l = await start();
      assert.deepEqual(await l.check(attempt(null, null)), ALLOWED);
      assert.deepEqual(await l.check(attempt(user('alice'), address())), ALLOWED);
      assert.deepEqual(await l.check(attempt(user('alice'), null)), ALLOWED);
    });

    test('backoff: free failures, then a wait of backoffSeconds that doubles with each further failure', async () => {
      const l = await start();
      const alice = attempt(user('alice'), address());
      await fail(l, alice, LIMITS.freeFailures - 1);
      assert.deepEqual(await l.check(alice), ALLOWED, 'one below the free failures');
      await l.recordFailure(alice);
      assert.equal(await waitOf(l, alice), 1, 'the first wait');
      now += 1000;
      assert.deepEqual(await l.check(alice), ALLOWED, 'allowed once the wait is over');
      await l.recordFailure(alice);
      assert.equal(await waitOf(l, alice), 2, 'doubled');
      now += 2000;
      await l.recordFailure(alice);
      assert.equal(await waitOf(l, alice), 4, 'doubled again');
      now += 1500;
      assert.equal(await waitOf(l, alice), 3, 'Retry-After counts down (whole seconds, rounded up)');
    });

    test('backoff: the wait is capped at maxBackoffSeconds', async () => {
      const l = await start();
      const alice = attempt(user('alice'), address());
      await fail(l, alice, LIMITS.freeFailures + 10);
      assert.equal(await waitOf(l, alice), LIMITS.maxBackoffSeconds);
      now += LIMITS.maxBackoffSeconds * 1000;
      assert.deepEqual(await l.check(alice), ALLOWED);
    });

    test('another address is not throttled: the same user elsewhere, and other users here, go ahead', async () => {
      const l = await start();
      const [name, here] = [user('alice'), address()];
      await fail(l, attempt(name, here), LIMITS.freeFailures + 3);
      await waitOf(l, attempt(name, here));
      assert.deepEqual(await l.check(attempt(name, address())), ALLOWED, 'the same user at another address');
      assert.deepEqual(await l.check(attempt(user('bob'), here)), ALLOWED, 'another user at this address (below the address limit)');
    });

    test('recordSuccess resets that pair, and only that pair; the address keeps its count', async () => {
      const l = await start();
      const [name, here, there] = [user('alice'), address(), address()];
      await fail(l, attempt(name, here), LIMITS.freeFailures);
      await fail(l, attempt(name, there), LIMITS.freeFailures);
      await l.recordSuccess(attempt(name, here));
      assert.deepEqual(await l.check(attempt(name, here)), ALLOWED);
      await waitOf(l, attempt(name, there));
      await fail(l, attempt(name, here), LIMITS.freeFailures - 1);
      assert.deepEqual(await l.check(attempt(name, here)), ALLOWED, 'counting starts again from zero');
      const soFar = 2 * LIMITS.freeFailures - 1;
      await fail(l, attempt(user('carol'), here), LIMITS.perAddress - soFar); // the address's limit, reached across names
      await waitOf(l, attempt(user('dave'), here));
      await l.recordSuccess(attempt(name, here));
      await waitOf(l, attempt(user('dave'), here)); // a success does not forgive the address
      await l.recordSuccess(attempt(user('never-failed'), address()));
      now += LIMITS.windowSeconds * 1000;
      forgotten = [attempt(name, here), attempt(user('dave'), here), attempt(name, there)];
    });

    test("a pair's failures are forgotten pairMemorySeconds after the last one", async () => {
      const l = await start();
      const alice = attempt(user('alice'), address());
      await fail(l, alice, LIMITS.freeFailures + 2);
      now += LIMITS.pairMemorySeconds * 1000;
      assert.deepEqual(await l.check(alice), ALLOWED);
      await l.recordFailure(alice);
      assert.deepEqual(await l.check(alice), ALLOWED, 'the count restarted at one');
      forgotten = [alice];
    });

    test('the address limit holds across principal names (credential stuffing), and only for that address', async () => {
      const l = await start();
      const here = address();
      for (let i = 0; i < LIMITS.perAddress; i++) await l.recordFailure(attempt(user(`user${i}`), here));
      const wait = await waitOf(l, attempt(user('someone-new'), here));
      assert.ok(wait >= 1 && wait <= LIMITS.windowSeconds, `Retry-After ${wait} lies within the window`);
      await waitOf(l, attempt(null, here)); // a refresh-token attempt from there too
      assert.deepEqual(await l.check(attempt(user('someone-new'), address())), ALLOWED);
      now += LIMITS.windowSeconds * 1000;
      assert.deepEqual(await l.check(attempt(user('someone-new'), here)), ALLOWED, 'allowed again after the window');
    });

    test('concurrent writers: failures recorded at once are all counted', async () => {
      const l = await start();
      const alice = attempt(user('alice'), address());
      await Promise.all(Array.from({ length: LIMITS.freeFailures + 1 }, () => l.recordFailure(alice)));
      assert.equal(await waitOf(l, alice), 2, 'freeFailures + 1 failures: the doubled wait');
      await l.recordSuccess(alice);
      forgotten = [alice];
    });
  });
}
