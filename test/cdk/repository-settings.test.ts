/**
 * The `repositories` prop (issue 10): the same schema as the config file's list, validated at
 * synthesis (a bad entry fails naming its field, before anything is created), and carried into
 * every operation Lambda's environment as the repositories setting's JSON, which the Lambdas'
 * configuration reader turns back into the settings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTINGS } from '../../src/config/settings.js';
import { lambdaConfigFromEnv } from '../../src/shells/lambda/config.js';
import { resolveProps } from '../../lib/props.js';
import { resourcesOfType, synthCached } from './support.js';
import './support.js';

const REPOSITORIES = [
  { match: 'prod/**', tagMutability: 'IMMUTABLE_WITH_EXCLUSION' as const, tagMutabilityExclusions: ['latest'] },
  {
    match: 'ci/**',
    lifecyclePolicy: {
      rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged' as const, countType: 'imageCountMoreThan' as const, countNumber: 5 }, action: { type: 'expire' as const } }],
    },
  },
];

test('a bad repositories entry fails synthesis, naming the field to fix', () => {
  assert.throws(() => resolveProps({ repositories: [{ match: 'a', tagMutability: 'SOMETIMES' as never }] }), /repositories\[0\]\.tagMutability: /);
  assert.throws(
    () =>
      resolveProps({
        repositories: [
          {
            match: 'a',
            lifecyclePolicy: { rules: [{ rulePriority: 1, selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] },
          },
        ],
      }),
    /repositories\[0\]\.lifecyclePolicy\.rules\[0\]\.selection\.tagPrefixList: /,
  );
});

test("every operation Lambda carries the repositories setting, and the Lambdas' reader accepts it", () => {
  const s = synthCached({ repositories: REPOSITORIES });
  const fns = resourcesOfType(s.json, 'AWS::Lambda::Function').filter(([, p]) => String(p.Description ?? '').startsWith('Stowage registry: '));
  assert.ok(fns.length >= 20, `operation functions: ${fns.length}`);
  for (const [id, props] of fns) {
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    const text = env[SETTINGS.repositories.env];
    assert.equal(typeof text, 'string', `${id} has ${SETTINGS.repositories.env}`);
    assert.deepEqual(JSON.parse(text as string), REPOSITORIES);
  }
  const config = lambdaConfigFromEnv({ [SETTINGS.s3Bucket.env]: 'bucket', [SETTINGS.dynamodbTable.env]: 'table', [SETTINGS.repositories.env]: JSON.stringify(REPOSITORIES) });
  assert.equal(config.repositories.for('prod/web').tagMutability, 'IMMUTABLE_WITH_EXCLUSION');
  assert.equal(config.repositories.for('ci/x').lifecyclePolicy?.rules[0]?.selection.countNumber, 5);
});
