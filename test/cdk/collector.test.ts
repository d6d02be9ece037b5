/** The scheduled garbage collector: an hourly EventBridge rule invoking a resumable Lambda with its own narrow permissions, and the multipart backstop. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Match } from 'aws-cdk-lib/assertions';
import { actionsOf, logicalIdByPath, resourcesOfType, roleStatements, synthCached } from './support.js';

test('collector: an hourly schedule invokes the collector Lambda (15 min timeout, grace 1 h, upload TTL 24 h)', () => {
  const s = synthCached();
  const fnId = logicalIdByPath(s, 'Collector/Function/Resource');
  const fn = s.json.Resources[fnId] as unknown as { Properties: { Timeout: number; Environment: { Variables: Record<string, unknown> } } };
  assert.equal(fn.Properties.Timeout, 900);
  assert.equal(fn.Properties.Environment.Variables.STOWAGE_GC_GRACE, '3600');
  assert.equal(fn.Properties.Environment.Variables.STOWAGE_GC_UPLOAD_TTL, '86400');
  s.template.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'rate(1 hour)',
    State: 'ENABLED',
    Targets: Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })]),
  });
  const rules = resourcesOfType(s.json, 'AWS::Events::Rule').filter(([, p]) => (p as { ScheduleExpression?: string }).ScheduleExpression);
  assert.equal(rules.length, 1, 'one schedule');
});

test('collector: queries and conditional deletes on the table, GSI1 queries, blob deletes in S3, and no Scan', () => {
  const s = synthCached();
  const statements = roleStatements(s, 'Collector/Function');
  const actions = actionsOf(statements);
  for (const a of ['dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 's3:DeleteObject', 's3:ListBucket', 's3:AbortMultipartUpload'])
    assert.ok(actions.includes(a), a);
  assert.ok(!actions.some((a) => a === 'dynamodb:Scan' || a === 'dynamodb:*' || a === 's3:*'), 'no Scan, no wildcard actions');
  assert.ok(JSON.stringify(statements).includes('/index/GSI1'), 'GSI1 queries (links by digest, sessions by age)');
});

test('bucket: a lifecycle rule aborts incomplete multipart uploads', () => {
  const { template } = synthCached();
  template.hasResourceProperties('AWS::S3::Bucket', {
    LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: Match.anyValue() }, Status: 'Enabled' })]) },
  });
});

test('the upload service does not collect itself (the Lambda does): STOWAGE_GC_INTERVAL=0 in its container', () => {
  const { json } = synthCached();
  const [[, task]] = resourcesOfType(json, 'AWS::ECS::TaskDefinition') as [[string, { ContainerDefinitions: { Environment: { Name: string; Value: string }[] }[] }]];
  const env = task.ContainerDefinitions[0]?.Environment ?? [];
  assert.deepEqual(
    env.filter((e) => e.Name === 'STOWAGE_GC_INTERVAL'),
    [{ Name: 'STOWAGE_GC_INTERVAL', Value: '0' }],
  );
});
