/** The upload service: present by default, absent by prop; arm64 Fargate behind an internal load balancer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Match } from 'aws-cdk-lib/assertions';
import { UPLOAD_PATH_PATTERN } from '../../lib/front-door.js';
import { synthCached } from './support.js';

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
    ContainerDefinitions: [
      Match.objectLike({
        ReadonlyRootFilesystem: true,
        Environment: Match.arrayWith([
          // (in this order in the definition)
          { Name: 'STOWAGE_HOST', Value: '0.0.0.0' },
          { Name: 'STOWAGE_STORAGE', Value: 's3' },
          { Name: 'STOWAGE_METADATA', Value: 'dynamodb' },
        ]),
      }),
    ],
  });
  s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
  s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
    Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [UPLOAD_PATH_PATTERN] } }],
  });
  // Readiness from the load balancer, liveness from ECS, and a drain that fits the stop timeout.
  s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/readyz', Matcher: { HttpCode: '200' } });
  s.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
    ContainerDefinitions: [
      Match.objectLike({
        StopTimeout: 120,
        HealthCheck: Match.objectLike({ Command: Match.arrayWith([Match.stringLikeRegexp('/healthz')]) }),
        Environment: Match.arrayWith([{ Name: 'STOWAGE_SHUTDOWN_TIMEOUT', Value: '110' }]),
      }),
    ],
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
