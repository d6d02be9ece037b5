/**
 * The LoginLimiter contract (src/ports/login-limiter.ts), run against the in-memory limiter and
 * the DynamoDB one. Both take the same limits and a clock; the in-memory one counts a sliding
 * window and the DynamoDB one fixed windows, so the suite pins the clock 10 s into a window and
 * asserts only what both promise: a key with `limit` failures is refused until the window has
 * passed, with a Retry-After within it.
 *
 * Every test uses keys of its own. The port has no listing, so the leftover check is through the
 * port: after every test, keys whose failures were forgotten are allowed again.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { LoginLimiter } from '../../src/ports/login-limiter.js';
import type { LoginLimits } from '../../src/adapters/embedded/login-limiter.js';

const LIMITS: LoginLimits = { perPrincipal: 3, perAddress: 5, windowSeconds: 300 };
/** 10 s into a 300 s window of the epoch (fixed-window adapters count from there). */
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % 300_000) + 10_000;

export function loginLimiterSuite(name: string, setup: (limits: LoginLimits, now: () => number) => Promise<LoginLimiter>): void {
  describe(name, () => {
    let now = T0;
    let forgotten: string[] = [];
    let limiter: LoginLimiter | undefined;
    const start = async () => {
      now = T0;
      forgotten = [];
      limiter = await setup(LIMITS, () => now);
      return limiter;
    };
    const id = randomUUID().slice(0, 8);
    const principal = (n: string) => `principal:${n}-${id}-${randomUUID().slice(0, 4)}`;
    const address = () => `address:198.51.100.${Math.floor(Math.random() * 250)}-${randomUUID().slice(0, 4)}`;
    const refused = (decision: Awaited<ReturnType<LoginLimiter['check']>>) => {
      assert.equal(decision.allowed, false);
      return decision.allowed ? 0 : decision.retryAfterSeconds;
    };

    afterEach(async () => {
      if (!limiter) return;
      if (forgotten.length > 0) assert.deepEqual(await limiter.check(forgotten), { allowed: true }, 'forgotten keys are allowed');
      limiter = undefined;
    });

    test('check: fresh keys, and no keys at all, are allowed', async () => {
      const l = await start();
      assert.deepEqual(await l.check([]), { allowed: true });
      assert.deepEqual(await l.check([principal('alice'), address()]), { allowed: true });
    });

    test('recordFailure: the limit-th failure refuses the key until the window has passed', async () => {
      const l = await start();
      const [alice, addr] = [principal('alice'), address()];
      for (let i = 0; i < LIMITS.perPrincipal - 1; i++) await l.recordFailure([alice, addr]);
      assert.deepEqual(await l.check([alice, addr]), { allowed: true }, 'one below the limit');
      await l.recordFailure([alice, addr]);
      const wait = refused(await l.check([alice, addr]));
      assert.ok(wait >= 1 && wait <= LIMITS.windowSeconds, `Retry-After ${wait} lies within the window`);
      refused(await l.check([alice]));
      assert.deepEqual(await l.check([principal('bob')]), { allowed: true }, 'another principal is not refused');
      assert.deepEqual(await l.check([addr]), { allowed: true }, 'the address has its own, higher limit');
      refused(await l.check([principal('bob'), alice]));
      now += LIMITS.windowSeconds * 1000 + 1000;
      assert.deepEqual(await l.check([alice, addr]), { allowed: true }, 'allowed again after the window');
    });

    test('recordFailure: the address limit holds across principals', async () => {
      const l = await start();
      const addr = address();
      for (let i = 0; i < LIMITS.perAddress; i++) await l.recordFailure([principal(`user${i}`), addr]);
      refused(await l.check([principal('someone-new'), addr]));
      assert.deepEqual(await l.check([principal('someone-new'), address()]), { allowed: true });
    });

    test('recordSuccess forgets the failures of the keys given, and only of those', async () => {
      const l = await start();
      const [alice, addr] = [principal('alice'), address()];
      for (let i = 0; i < LIMITS.perPrincipal; i++) await l.recordFailure([alice, addr]);
      refused(await l.check([alice]));
      await l.recordSuccess([alice]);
      assert.deepEqual(await l.check([alice]), { allowed: true });
      await l.recordFailure([alice, addr]);
      await l.recordFailure([alice, addr]);
      assert.deepEqual(await l.check([alice]), { allowed: true }, 'counting starts again from zero');
      refused(await l.check([addr])); // 5 failures: the address was not forgotten
      await l.recordSuccess([alice, addr]);
      await l.recordSuccess([principal('never-failed')]);
      forgotten = [alice, addr];
    });

    test('concurrent writers: failures recorded at once are all counted', async () => {
      const l = await start();
      const alice = principal('alice');
      await Promise.all(Array.from({ length: LIMITS.perPrincipal }, () => l.recordFailure([alice])));
      refused(await l.check([alice]));
      await l.recordSuccess([alice]);
      forgotten = [alice];
    });
  });
}
