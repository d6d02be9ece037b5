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

test('alarms: API 5xx, Lambda throttles and errors, stream age and dead letters, table throttles, upload service', () => {
  const s = synthCached();
  const alarms = resourcesOfType(s.json, 'AWS::CloudWatch::Alarm').map(([, p]) => String(p.AlarmDescription));
  for (const what of [
    /API Gateway answered 5xx/,
    /Lambda throttles/,
    /Lambda errors/,
    /stream consumer is more than/,
    /dead-letter/,
    /DynamoDB throttled/,
    /upload service answered 5xx/,
    /upload task is unhealthy/,
  ]) {
    assert.ok(
      alarms.some((a) => what.test(a)),
      `an alarm matches ${what}`,
    );
  }
  s.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5XXError', Namespace: 'AWS/ApiGateway', Statistic: 'Sum' });
  // Throttle alarms cover every function: at most 10 metrics per alarm.
  const throttled = resourcesOfType(s.json, 'AWS::CloudWatch::Alarm')
    .filter(([, p]) => String(p.AlarmDescription).includes('throttles (functions'))
    .flatMap(([, p]) => (p.Metrics as { MetricStat?: unknown }[]).filter((m) => m.MetricStat));
  assert.equal(throttled.length, resourcesOfType(s.json, 'AWS::Lambda::Function').filter(([, p]) => String(p.Description ?? '').startsWith('Stowage')).length);
});

test('event outbox: the stream feeds the consumer with partial batch failures and a DLQ; a rule sends pushes to the example queue', () => {
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
    Targets: [Match.objectLike({ Arn: Match.anyValue() })],
  });
  for (const [, q] of resourcesOfType(s.json, 'AWS::SQS::Queue')) assert.equal(q.SqsManagedSseEnabled, true);
});
