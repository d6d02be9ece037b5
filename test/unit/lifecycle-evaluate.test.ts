/**
 * ECR lifecycle policies: validation (ECR's rules, the refusal naming the field) and evaluation
 * (which images expire), on the fixtures of test/fixtures/lifecycle/ taken from the ECR user
 * guide's examples.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLifecyclePolicy } from '../../src/core/lifecycle/policy-document.js';
import { evaluateLifecycle, type LifecycleImage } from '../../src/core/lifecycle/evaluate.js';

// dist/test/unit -> <repo>/test/fixtures/lifecycle
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/lifecycle');
const NOW = new Date('2026-06-01T12:00:00Z');
const DAY = 24 * 60 * 60 * 1000;

interface Case {
  source: string;
  policy: unknown;
  images: { name: string; tags: string[]; pushedDaysAgo: number }[];
  expired: { name: string; rulePriority: number }[];
}

const read = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const cases = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

test('the fixtures are there (a missing directory would pass every case below)', () => {
  assert.ok(cases.length >= 7, cases.join(', '));
  assert.ok(readdirSync(join(FIXTURES, 'invalid')).length >= 10);
});

for (const file of cases) {
  test(`ECR example ${file}: the documented images expire, by the documented rule`, () => {
    const c = read<Case>(join(FIXTURES, file));
    const checked = checkLifecyclePolicy(c.policy);
    assert.ok(checked.ok, `${c.source}: ${checked.ok ? '' : checked.problems.join('; ')}`);
    // Digests named after the images; listed in a shuffled order (the result must not depend on it).
    const images: LifecycleImage[] = c.images.map((i) => ({ digest: `sha256:${i.name}`, tags: i.tags, pushedAt: new Date(NOW.getTime() - i.pushedDaysAgo * DAY).toISOString() }));
    const result = evaluateLifecycle(checked.value, [...images].reverse(), NOW);
    assert.deepEqual(
      result.map((e) => ({ name: e.image.digest.slice('sha256:'.length), rulePriority: e.rulePriority })),
      c.expired,
      c.source,
    );
  });
}

for (const file of readdirSync(join(FIXTURES, 'invalid'))) {
  test(`invalid policy ${file}: refused, naming the field to fix`, () => {
    const c = read<{ path: string; policy: unknown }>(join(FIXTURES, 'invalid', file));
    const checked = checkLifecyclePolicy(c.policy);
    assert.equal(checked.ok, false);
    if (checked.ok) return;
    assert.ok(
      checked.problems.some((p) => p.startsWith(`${c.path}: `)),
      `expected a problem at ${c.path}, got: ${checked.problems.join('; ')}`,
    );
  });
}

test('sinceImagePushed: an image exactly N days old is kept, one a minute older expires', () => {
  const checked = checkLifecyclePolicy({
    rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 2 }, action: { type: 'expire' } }],
  });
  assert.ok(checked.ok);
  const at = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
  const result = evaluateLifecycle(
    checked.value,
    [
      { digest: 'sha256:edge', tags: [], pushedAt: at(2 * DAY) },
      { digest: 'sha256:older', tags: [], pushedAt: at(2 * DAY + 60_000) },
    ],
    NOW,
  );
  assert.deepEqual(
    result.map((e) => e.image.digest),
    ['sha256:older'],
  );
});

test('a tag pattern matches whole tags: "prod*" takes prod-1, not preprod-1', () => {
  const checked = checkLifecyclePolicy({
    rules: [{ rulePriority: 1, selection: { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }],
  });
  assert.ok(checked.ok);
  const result = evaluateLifecycle(
    checked.value,
    [
      { digest: 'sha256:a', tags: ['preprod-1'], pushedAt: '2026-01-01T00:00:00Z' },
      { digest: 'sha256:b', tags: ['prod-1'], pushedAt: '2026-01-02T00:00:00Z' },
      { digest: 'sha256:c', tags: ['prod-2'], pushedAt: '2026-01-03T00:00:00Z' },
    ],
    NOW,
  );
  assert.deepEqual(
    result.map((e) => e.image.digest),
    ['sha256:b'],
  );
});
