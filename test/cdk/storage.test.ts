/** The bucket and the table: private, encrypted, retained; the table exactly as the adapter creates it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import { resourcesOfType, synth, synthCached } from './support.js';

test('bucket: all public access blocked, ACLs off, SSE-S3 by default, no versioning, retained', () => {
  const { template, json } = synthCached();
  // One bucket of registry data; the web console's built files have their own (test/cdk/console.test.ts).
  const blobBuckets = resourcesOfType(json, 'AWS::S3::Bucket').filter(([id]) => !id.startsWith('RegistryWebConsole'));
  assert.equal(blobBuckets.length, 1);
  template.hasResource('AWS::S3::Bucket', {
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: Match.objectLike({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    }),
  });
  const [[, bucket]] = blobBuckets as [[string, Record<string, unknown>]];
  assert.equal(bucket.VersioningConfiguration, undefined, 'versioning stays off: content is addressed by digest');
});

test('bucket: SSE-KMS with a bucket key when a key is given', () => {
  const { template } = synth({
    registry: (scope) => ({ encryptionKey: kms.Key.fromKeyArn(scope, 'K', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555') }),
  });
  template.hasResourceProperties('AWS::S3::Bucket', {
    BucketEncryption: {
      ServerSideEncryptionConfiguration: [
        {
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555' },
          BucketKeyEnabled: true,
        },
      ],
    },
  });
});

test('bucket policy refuses every request without TLS', () => {
  synthCached().template.hasResourceProperties('AWS::S3::BucketPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
    },
  });
});

test('lifecycle: incomplete multipart uploads aborted after 7 days; upload leftovers expire', () => {
  synthCached().template.hasResourceProperties('AWS::S3::Bucket', {
    LifecycleConfiguration: {
      Rules: Match.arrayWith([
        Match.objectLike({ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
        Match.objectLike({ Status: 'Enabled', Prefix: 'uploads/', ExpirationInDays: 8 }),
      ]),
    },
  });
  // With a prefix, the leftover rule follows it.
  synthCached({ s3Prefix: 'registry/' }).template.hasResourceProperties('AWS::S3::Bucket', {
    LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'registry/uploads/' })]) },
  });
});

test('table: key schema, index, stream and TTL match what createTable() sends', async () => {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const fake = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      sent.push({ name: command.constructor.name, input: command.input });
      if (command.constructor.name === 'DescribeTableCommand') return { Table: { TableStatus: 'ACTIVE', GlobalSecondaryIndexes: [{ IndexStatus: 'ACTIVE' }] } };
      if (command.constructor.name === 'DescribeTimeToLiveCommand') return { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } };
      return {};
    },
  };
  await createTable(fake as unknown as DynamoDBClient, 't');
  const create = sent.find((c) => c.name === 'CreateTableCommand')?.input as Record<string, unknown>;
  const ttl = sent.find((c) => c.name === 'UpdateTimeToLiveCommand')?.input as { TimeToLiveSpecification: { AttributeName: string } };
  assert.ok(create && ttl, 'createTable sends CreateTable and UpdateTimeToLive');

  const { template, json } = synthCached();
  template.resourceCountIs('AWS::DynamoDB::Table', 1);
  const [[, table]] = resourcesOfType(json, 'AWS::DynamoDB::Table') as [[string, Record<string, unknown>]];
  const sortByName = (a: unknown[]) => [...(a as { AttributeName: string }[])].sort((x, y) => x.AttributeName.localeCompare(y.AttributeName));
  assert.deepEqual(sortByName(table.AttributeDefinitions as unknown[]), sortByName(create.AttributeDefinitions as unknown[]));
  assert.deepEqual(table.KeySchema, create.KeySchema);
  assert.deepEqual(table.GlobalSecondaryIndexes, create.GlobalSecondaryIndexes);
  assert.equal(table.BillingMode, create.BillingMode);
  assert.deepEqual(table.StreamSpecification, { StreamViewType: (create.StreamSpecification as { StreamViewType: string }).StreamViewType });
  assert.deepEqual(table.TimeToLiveSpecification, { AttributeName: ttl.TimeToLiveSpecification.AttributeName, Enabled: true });
});

test('table: point-in-time recovery, deletion protection, retained', () => {
  synthCached().template.hasResource('AWS::DynamoDB::Table', {
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: Match.objectLike({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  });
});

test('access logs, an option: one log bucket for the blob bucket, CloudFront and the load balancer; none by default', () => {
  // The web console's bucket (lib/console.ts) aside: it logs into the same bucket (checked below).
  const registryBuckets = (json: Parameters<typeof resourcesOfType>[0]) => resourcesOfType(json, 'AWS::S3::Bucket').filter(([id]) => !id.includes('WebConsole'));
  assert.equal(registryBuckets(synthCached().json).length, 1);
  const s = synthCached({ accessLogs: true });
  const buckets = registryBuckets(s.json);
  assert.equal(buckets.length, 2);
  const [logId] = buckets.find(([, b]) => JSON.stringify(b.LifecycleConfiguration ?? {}).includes('expire-access-logs'))!;
  s.template.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: { Ref: logId }, LogFilePrefix: 's3/' } });
  s.template.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: { Ref: logId }, LogFilePrefix: 'console/' } });
  s.template.hasResourceProperties('AWS::CloudFront::Distribution', {
    DistributionConfig: Match.objectLike({ Logging: Match.objectLike({ Bucket: { 'Fn::GetAtt': [logId, 'RegionalDomainName'] }, Prefix: 'cloudfront/' }) }),
  });
  s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
    LoadBalancerAttributes: Match.arrayWith([
      { Key: 'access_logs.s3.enabled', Value: 'true' },
      { Key: 'access_logs.s3.bucket', Value: { Ref: logId } },
    ]),
  });
});

test('reserved concurrency, per function by prop; none by default', () => {
  for (const [, fn] of resourcesOfType(synthCached().json, 'AWS::Lambda::Function')) assert.equal(fn.ReservedConcurrentExecutions, undefined);
  const s = synthCached({ reservedConcurrency: { getBlob: 50, token: 5 } });
  s.template.hasResourceProperties('AWS::Lambda::Function', { Description: 'Stowage registry: getBlob', ReservedConcurrentExecutions: 50 });
  s.template.hasResourceProperties('AWS::Lambda::Function', { Description: 'Stowage: Docker token endpoint', ReservedConcurrentExecutions: 5 });
});
