/** Per-repository settings: first match wins, tag mutability with ECR's exclusions, refusals naming the field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTagImmutable, RepositorySettings } from '../../src/core/repository-settings.js';

const settings = (doc: unknown) => {
  const checked = RepositorySettings.check(doc);
  assert.ok(checked.ok, checked.ok ? '' : checked.problems.join('; '));
  return checked.value;
};

test('a repository takes the first entry whose pattern matches it; none: MUTABLE without a policy', () => {
  const s = settings([
    { match: 'prod/**', tagMutability: 'IMMUTABLE' },
    { match: 'prod/legacy', tagMutability: 'MUTABLE' },
    { match: 'team-*/app', tagMutability: 'IMMUTABLE_WITH_EXCLUSION', tagMutabilityExclusions: ['latest'] },
  ]);
  assert.equal(s.for('prod/legacy').tagMutability, 'IMMUTABLE');
  assert.equal(s.for('prod/a/b').entry, 0);
  assert.equal(s.for('team-x/app').entry, 2);
  assert.deepEqual(s.for('other'), { entry: null, match: null, tagMutability: 'MUTABLE', exclusions: [], lifecyclePolicy: null });
});

test("tag mutability follows ECR's four settings, exclusions as wildcard filters", () => {
  const s = settings([
    { match: 'a', tagMutability: 'MUTABLE' },
    { match: 'b', tagMutability: 'IMMUTABLE' },
    { match: 'c', tagMutability: 'IMMUTABLE_WITH_EXCLUSION', tagMutabilityExclusions: ['latest', 'dev-*'] },
    { match: 'd', tagMutability: 'MUTABLE_WITH_EXCLUSION', tagMutabilityExclusions: ['v*.*.*'] },
  ]);
  const immutable = (repo: string, tag: string) => isTagImmutable(s.for(repo), tag);
  assert.equal(immutable('a', 'v1'), false);
  assert.equal(immutable('b', 'latest'), true);
  assert.equal(immutable('c', 'latest'), false);
  assert.equal(immutable('c', 'dev-42'), false);
  assert.equal(immutable('c', 'v1'), true);
  assert.equal(immutable('d', 'v1.2.3'), true);
  assert.equal(immutable('d', 'latest'), false);
});

test('invalid settings are refused with the path of the field to fix', () => {
  const cases: [unknown, string][] = [
    [[{ match: 'Prod/**' }], 'repositories[0].match: '],
    [[{ match: 'a', tagMutability: 'immutable' }], 'repositories[0].tagMutability: '],
    [[{ match: 'a', tagMutability: 'IMMUTABLE', tagMutabilityExclusions: ['x'] }], 'repositories[0].tagMutabilityExclusions: '],
    [[{ match: 'a', tagMutability: 'IMMUTABLE_WITH_EXCLUSION' }], 'repositories[0].tagMutabilityExclusions: '],
    [[{ match: 'a', tagMutability: 'MUTABLE_WITH_EXCLUSION', tagMutabilityExclusions: ['bad tag'] }], 'repositories[0].tagMutabilityExclusions[0]: '],
    [[{ match: 'a', colour: 'blue' }], 'repositories[0]: '],
    [
      [
        { match: 'a' },
        {
          match: 'b',
          lifecyclePolicy: { rules: [{ rulePriority: 1, selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] },
        },
      ],
      'repositories[1].lifecyclePolicy.rules[0].selection.tagPrefixList: ',
    ],
    [{ match: 'a' }, 'repositories: '],
  ];
  for (const [doc, prefix] of cases) {
    const checked = RepositorySettings.check(doc);
    assert.equal(checked.ok, false, JSON.stringify(doc));
    if (checked.ok) continue;
    assert.ok(
      checked.problems.some((p) => p.startsWith(prefix)),
      `${JSON.stringify(doc)}: expected ${prefix}..., got ${checked.problems.join('; ')}`,
    );
  }
});

test('fromJson: text that is not JSON is one error naming the source', () => {
  assert.throws(() => RepositorySettings.fromJson('[{', 'STOWAGE_REPOSITORIES'), /^Error: STOWAGE_REPOSITORIES: not valid JSON/);
  assert.throws(() => RepositorySettings.fromJson('[{"match":"a","tagMutability":"NOPE"}]', 'X'), /X: repositories\[0\]\.tagMutability: /);
});

test("the README's repositories example is valid and means what it says", async () => {
  const { readFile } = await import('node:fs/promises');
  const { parse } = await import('yaml');
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  const block = /```yaml\n(repositories:[\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a yaml repositories block');
  const s = settings((parse(block[1]!) as { repositories: unknown }).repositories);
  assert.equal(isTagImmutable(s.for('prod/app'), '1.0'), true);
  assert.equal(isTagImmutable(s.for('prod/app'), 'latest'), false);
  assert.equal(s.for('ci/app').lifecyclePolicy?.rules[0]?.selection.tagStatus, 'untagged');
});
