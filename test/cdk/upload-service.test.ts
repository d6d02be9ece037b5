/** The upload service: present by default, absent by prop; arm64 Fargate behind an internal load balancer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Match } from 'aws-cdk-lib/assertions';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UPLOAD_PATH_PATTERN } from '../../lib/front-door.js';
import { PACKAGE_ROOT } from '../../lib/stowage-registry.js';
import { BUNDLE_FILE, buildServerBundle, FETCH_IMAGE, SERVER_IMAGE } from '../../lib/upload-service-code.js';
import { resourcesOfType, synthCached } from './support.js';

const UPLOAD_TYPES = [
  'AWS::ECS::Service',
  'AWS::ECS::TaskDefinition',
  'AWS::ECS::Cluster',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::EC2::VPC',
  'AWS::EC2::InternetGateway',
  'AWS::CloudFront::VpcOrigin',
];

test('on by default: Fargate arm64 running stowage serve on S3 + DynamoDB, internal ALB, VPC with an internet gateway', () => {
  const s = synthCached();
  for (const type of UPLOAD_TYPES) s.template.resourceCountIs(type, 1);
  s.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
    RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    RequiresCompatibilities: ['FARGATE'],
    ContainerDefinitions: Match.arrayWith([
      Match.objectLike({
        ReadonlyRootFilesystem: true,
        Environment: Match.arrayWith([
          // (in this order in the definition)
          { Name: 'STOWAGE_HOST', Value: '0.0.0.0' },
          { Name: 'STOWAGE_STORAGE', Value: 's3' },
          { Name: 'STOWAGE_METADATA', Value: 'dynamodb' },
        ]),
      }),
    ]),
  });
  s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
  s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
    Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [UPLOAD_PATH_PATTERN] } }],
  });
  // Readiness from the load balancer, liveness from ECS, and a drain that fits the stop timeout.
  s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/readyz', Matcher: { HttpCode: '200' } });
  s.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
    ContainerDefinitions: Match.arrayWith([
      Match.objectLike({
        StopTimeout: 120,
        HealthCheck: Match.objectLike({ Command: Match.arrayWith([Match.stringLikeRegexp('/healthz')]) }),
        Environment: Match.arrayWith([{ Name: 'STOWAGE_SHUTDOWN_TIMEOUT', Value: '110' }]),
      }),
    ]),
  });
  s.template.resourceCountIs('AWS::EC2::VPCGatewayAttachment', 1);
  // Idle cost (docs/cost.md): one small Spot task on arm64, scaling out on CPU.
  s.template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 1, CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }] });
  s.template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '256', Memory: '512' });
  s.template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', { CapacityProviders: Match.arrayWith(['FARGATE_SPOT']) });
  s.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 4, ScalableDimension: 'ecs:service:DesiredCount' });
  s.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } }),
  });
});

test('on demand by prop: no Spot strategy, the launch type instead', () => {
  const s = synthCached({ uploadService: { spot: false, desiredCount: 2, maxCount: 6 } });
  s.template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 2, LaunchType: 'FARGATE', CapacityProviderStrategy: Match.absent() });
  s.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 6 });
});

test('off by prop: no container, load balancer, VPC or VPC origin', () => {
  const s = synthCached({ uploadService: { enabled: false } });
  for (const type of UPLOAD_TYPES) s.template.resourceCountIs(type, 0);
  assert.equal(Object.values(s.json.Resources).filter((r) => r.Type.startsWith('AWS::ECS::')).length, 0);
});

test('no Docker at deploy: the stock Node.js image from ECR Public runs the server bundle an init container copies from S3', () => {
  const s = synthCached();
  const [, task] = resourcesOfType(s.json, 'AWS::ECS::TaskDefinition')[0]!;
  const containers = task.ContainerDefinitions as { Name: string; Image: unknown; Essential?: boolean; Command?: string[]; DependsOn?: unknown; User?: string }[];
  const server = containers.find((c) => c.Name === 'registry')!;
  const fetch = containers.find((c) => c.Name === 'fetch-server')!;
  assert.equal(server.Image, SERVER_IMAGE);
  assert.match(SERVER_IMAGE, /^public\.ecr\.aws\/docker\/library\/node:24-/);
  assert.equal(fetch.Image, FETCH_IMAGE);
  assert.equal(fetch.Essential, false);
  assert.deepEqual(server.DependsOn, [{ ContainerName: 'fetch-server', Condition: 'SUCCESS' }]);
  assert.deepEqual(server.Command?.slice(-2), [`/app/${BUNDLE_FILE}`, 'serve']);
  assert.equal(server.User, '1000');
  // No container image asset (which needs Docker to build): nothing in the template points at the bootstrap ECR repository.
  assert.doesNotMatch(JSON.stringify(s.json), /container-assets|cdk-hnb659fds-container/);
  // The task role may read the bundle's one object, nothing else of the bootstrap bucket.
  s.template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^/[0-9a-f]{64}\\.mjs$')])] } }),
      ]),
    },
  });
});

test('the server bundle runs on plain Node.js, outside the checkout (no node_modules, no native module loaded)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bundle-'));
  try {
    const file = join(dir, BUNDLE_FILE);
    copyFileSync(buildServerBundle(PACKAGE_ROOT), file);
    const run = spawnSync(process.execPath, [file, 'serve', '--help'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /--storage/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
