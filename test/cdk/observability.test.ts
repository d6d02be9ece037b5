/** Log retention on every log group, alarms, and the event outbox's wiring. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Match } from 'aws-cdk-lib/assertions';
import { resourcesOfType, synthCached, type Synthesized } from './support.js';

function checkRetention(s: Synthesized, label: string): void {
  const groups = new Map(resourcesOfType(s.json, 'AWS::Logs::LogGroup'));
  assert.ok(groups.size > 15, label);
  for (const [id, g] of groups) assert.equal(g.RetentionInDays, 30, `${label}: ${id} has a retention`);
  for (const [id, fn] of resourcesOfType(s.json, 'AWS::Lambda::Function')) {
    // Lambda@Edge (us-east-1 only) writes to log groups Lambda@Edge creates in each edge region.
    if (String(fn.Description ?? '').includes('restore the headers')) continue;
    const ref = (fn.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref;
    assert.ok(ref && groups.has(ref), `${label}: function ${id} logs to a log group with a retention`);
  }
  const stage = resourcesOfType(s.json, 'AWS::ApiGateway::Stage')[0]?.[1] as { AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': [string] } } };
  assert.ok(groups.has(stage.AccessLogSetting.DestinationArn['Fn::GetAtt'][0]), `${label}: API access logs`);
  const task = resourcesOfType(s.json, 'AWS::ECS::TaskDefinition')[0]?.[1] as
    | { ContainerDefinitions: { LogConfiguration: { Options: { 'awslogs-group': { Ref: string } } } }[] }
    | undefined;
  if (task) assert.ok(groups.has(task.ContainerDefinitions[0]!.LogConfiguration.Options['awslogs-group'].Ref), `${label}: upload service logs`);
}

test('every log group has a retention, and every function, the stage and the tasks log into one', () => {
  checkRetention(synthCached(), 'eu-west-1');
  checkRetention(synthCached({}, 'us-east-1'), 'us-east-1');
  checkRetention(synthCached({ anonymousPull: true, uploadService: { enabled: false } }), 'anonymous pull, no upload service');
});

test('Lambda functions: Node.js 24 on arm64 (Lambda@Edge aside), JSON logs, source maps on', () => {
  const s = synthCached();
  const fns = resourcesOfType(s.json, 'AWS::Lambda::Function').filter(([, p]) => String(p.Description ?? '').startsWith('Stowage'));
  assert.ok(fns.length >= 18);
  for (const [id, p] of fns) {
    assert.equal(p.Runtime, 'nodejs24.x', id);
    assert.deepEqual(p.Architectures, ['arm64'], id);
    assert.equal((p.LoggingConfig as { LogFormat: string }).LogFormat, 'JSON', id);
    assert.equal((p.Environment as { Variables: Record<string, string> }).Variables.NODE_OPTIONS, '--enable-source-maps', id);
  }
  s.template.hasResourceProperties('AWS::Lambda::Function', {
    Description: 'Stowage registry: getManifest',
    Environment: {
      Variables: Match.objectLike({ STOWAGE_S3_BUCKET: Match.anyValue(), STOWAGE_DYNAMODB_TABLE: Match.anyValue(), STOWAGE_S3_PREFIX: '', STOWAGE_S3_PRESIGN_EXPIRES: '900' }),
    },
  });
});

test('alarms: one metric each, only what an operator acts on, all to an SNS topic the construct creates', () => {
  const s = synthCached();
  const alarms = resourcesOfType(s.json, 'AWS::CloudWatch::Alarm');
  const descriptions = alarms.map(([, p]) => String(p.AlarmDescription));
  for (const what of [
    /API Gateway answered 5xx/,
    /stream consumer is more than/,
    /Stream: failed for good/,
    /Scan: failed for good/,
    /upload service answered 5xx/,
    /no healthy task/,
  ]) {
    assert.ok(
      descriptions.some((a) => what.test(a)),
      `an alarm matches ${what}`,
    );
  }
  assert.equal(alarms.length, 6);
  s.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5XXError', Namespace: 'AWS/ApiGateway', Statistic: 'Sum' });
  // One metric per alarm (an alarm bills per metric), and every alarm and its OK go to the topic.
  const [topicId] = resourcesOfType(s.json, 'AWS::SNS::Topic').map(([id]) => id);
  assert.ok(topicId, 'a topic by default');
  for (const [id, p] of alarms) {
    assert.equal(p.Metrics, undefined, `${id} reads one metric`);
    assert.deepEqual(p.AlarmActions, [{ Ref: topicId }], id);
    assert.deepEqual(p.OKActions, [{ Ref: topicId }], id);
  }
  s.template.resourceCountIs('AWS::SNS::Subscription', 0);
  const mailed = synthCached({ alarmEmail: 'ops@example.com' });
  mailed.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
});

test('event outbox: the stream feeds the consumer with partial batch failures and a DLQ; a rule starts a scan on push (Lambda target with retries and a DLQ)', () => {
  const s = synthCached();
  s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
    StartingPosition: 'TRIM_HORIZON',
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    BisectBatchOnFunctionError: true,
    DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    EventSourceArn: { 'Fn::GetAtt': [Match.anyValue(), 'StreamArn'] },
    // Only the outbox items' INSERTs invoke the consumer.
    FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { PK: { S: [{ prefix: 'OUTBOX#' }] } } } }) }] },
  });
  s.template.hasResourceProperties('AWS::Lambda::Function', {
    Description: Match.stringLikeRegexp('DynamoDB stream'),
    Environment: { Variables: Match.objectLike({ STOWAGE_EVENT_BUS: Match.anyValue(), STOWAGE_EVENT_DETAIL_TYPE: 'Stowage Image Action' }) },
  });
  s.template.resourceCountIs('AWS::Events::EventBus', 1);
  s.template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: { source: ['stowage'], 'detail-type': ['Stowage Image Action'], detail: { 'action-type': ['PUSH'] } },
    Targets: [
      Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ScanOnPush'), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ScanDeadLetters'), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
      }),
    ],
  });
  s.template.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('scan on push'), Runtime: 'nodejs24.x' });
  for (const [, q] of resourcesOfType(s.json, 'AWS::SQS::Queue')) assert.equal(q.SqsManagedSseEnabled, true);
});
