/**
 * The upload service: the node server shell (`stowage serve`) with the AWS adapters, in the
 * repository's Dockerfile image, on ECS Fargate (arm64) behind an internal Application Load
 * Balancer that CloudFront reaches through a VPC origin. It exists because API Gateway takes at
 * most 10 MB per request and a Lambda about 4.5 MiB of binary body, while docker, podman, skopeo
 * and crane send a whole layer in one PATCH and containerd in one PUT.
 *
 * Network: a VPC with public subnets (an internet gateway, which CloudFront VPC origins need
 * even for an internal load balancer) and private subnets for the load balancer; gateway
 * endpoints keep S3 and DynamoDB traffic inside AWS. Without NAT gateways the tasks run in the
 * public subnets with public addresses to reach ECR and CloudWatch; their security group admits
 * only the load balancer. The load balancer admits the VPC's own range (the VPC origin's network
 * interfaces live in it) and forwards only the upload paths; anything else gets a 404.
 *
 * No image is built: the server runs as one esbuild bundle on the stock Node.js image, fetched
 * from S3 by an init container (./upload-service-code.ts), so `cdk deploy` needs no Docker. The
 * `image` prop runs a container image instead (e.g. the repository's Dockerfile, built by CDK).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { settingsEnvironment } from '../src/config/settings.js';
import { LIVENESS_PATH, READINESS_PATH } from '../src/shells/http/health.js';
import { logGroupDefaults } from './defaults.js';
import { UPLOAD_PATH_PATTERN } from './front-door.js';
import { uploadServiceAccess } from './permissions.js';
import type { RegistryStorage } from './storage.js';
import type { RegistryTable } from './table.js';
import { acknowledge } from './nag.js';
import { addBundleFetch, SERVER_COMMAND, SERVER_IMAGE, serverBundleAsset } from './upload-service-code.js';

export const CONTAINER_PORT = 5000;
const DATA_DIR = '/var/lib/stowage';
/**
 * Fargate's longest stop timeout: SIGTERM comes after the load balancer's deregistration delay
 * has drained the task, then this long before SIGKILL.
 */
const STOP_TIMEOUT_SECONDS = 120;
/** The server's own drain limit, inside the stop timeout so that it exits with its log line. */
const SHUTDOWN_TIMEOUT_SECONDS = STOP_TIMEOUT_SECONDS - 10;

export interface UploadServiceConstructProps {
  readonly projectRoot: string;
  readonly storage: RegistryStorage;
  readonly table: RegistryTable;
  readonly presignExpiresSeconds: number;
  /** Tasks that run when idle (scale-in floor). */
  readonly minTasks: number;
  /** Tasks the service scales out to under load. */
  readonly maxTasks: number;
  /** Run on Fargate Spot (about 70% off; a task may be stopped with two minutes' notice). */
  readonly spot: boolean;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly natGateways: number;
  readonly vpc?: ec2.IVpc;
  readonly originCertificate?: acm.ICertificate;
  /** A container image running `stowage serve` instead of the bundle on the stock Node.js image. */
  readonly image?: ecs.ContainerImage;
  readonly logRetention: logs.RetentionDays;
  /** Bucket for the load balancer's access logs. @default - none */
  readonly accessLogBucket?: s3.IBucket;
}

/** Average CPU the service scales out above (target tracking). Hashing a streamed layer is CPU-bound. */
export const SCALE_OUT_CPU_PERCENT = 60;

export class UploadService extends Construct {
  readonly vpc: ec2.IVpc;
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly taskDefinition: ecs.FargateTaskDefinition;

  constructor(scope: Construct, id: string, props: UploadServiceConstructProps) {
    super(scope, id);
    this.vpc =
      props.vpc ??
      new ec2.Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways: props.natGateways,
        restrictDefaultSecurityGroup: true,
        subnetConfiguration: [
          { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'private', subnetType: props.natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
        ],
        gatewayEndpoints: {
          S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
          DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
        },
      });
    const tasksPrivate = this.vpc.privateSubnets.length > 0;
    const lbSubnets: ec2.SubnetSelection =
      this.vpc.isolatedSubnets.length > 0 ? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } : { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      volumes: [{ name: 'data' }, { name: 'app' }],
    });
    const access = uploadServiceAccess();
    for (const statement of [...props.table.statements(access), ...props.storage.statements(access)]) this.taskDefinition.addToTaskRolePolicy(statement);

    const logging = ecs.LogDrivers.awsLogs({ streamPrefix: 'upload', logGroup: new logs.LogGroup(this, 'Logs', logGroupDefaults(props.logRetention)) });
    // The server container first (what the load balancer and readers of the template take as the task's), the bundle's init container after.
    const container = this.taskDefinition.addContainer('registry', {
      image: props.image ?? ecs.ContainerImage.fromRegistry(SERVER_IMAGE),
      ...(!props.image && { command: SERVER_COMMAND, user: '1000' }),
      environment: {
        ...settingsEnvironment({
          host: '0.0.0.0',
          port: CONTAINER_PORT,
          dataDir: DATA_DIR,
          storage: 's3',
          metadata: 'dynamodb',
          s3Bucket: props.storage.bucket.bucketName,
          s3Prefix: props.storage.prefix,
          s3PresignExpires: props.presignExpiresSeconds,
          // Names with a `blobs/uploads` component pair match the upload path pattern for every
          // route: their blob GETs redirect to the front door's content behaviour too (issue 13).
          s3BlobRedirects: 'same-host',
          dynamodbTable: props.table.table.tableName,
          // Events come from the table's stream; the service only logs its own.
          events: ['log'],
          shutdownTimeout: SHUTDOWN_TIMEOUT_SECONDS,
        }),
        AWS_REGION: Stack.of(this).region,
      },
      logging,
      portMappings: [{ containerPort: CONTAINER_PORT, protocol: ecs.Protocol.TCP }],
      readonlyRootFilesystem: true,
      // Let uploads in flight finish when a task is replaced (the server drains on SIGTERM).
      stopTimeout: Duration.seconds(STOP_TIMEOUT_SECONDS),
      // Liveness only: a store outage is the target group's business (readiness), not a reason
      // to replace the task.
      healthCheck: {
        command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${CONTAINER_PORT}${LIVENESS_PATH}').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))`],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(20),
      },
    });
    container.addMountPoints({ containerPath: DATA_DIR, sourceVolume: 'data', readOnly: false });
    if (!props.image) {
      addBundleFetch(this.taskDefinition, container, serverBundleAsset(this, 'ServerBundle', props.projectRoot), { appVolume: 'app', dataVolume: 'data', logging });
    }

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc, enableFargateCapacityProviders: props.spot });
    const taskSecurityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: this.vpc,
      description: 'Stowage upload tasks: the load balancer only',
      allowAllOutbound: true,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: this.taskDefinition,
      // Application Auto Scaling owns the count from here (scaleOn... below).
      desiredCount: props.minTasks,
      ...(props.spot && { capacityProviderStrategies: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }),
      assignPublicIp: !tasksPrivate,
      vpcSubnets: { subnetType: tasksPrivate ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC },
      securityGroups: [taskSecurityGroup],
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      enableExecuteCommand: false,
    });

    const lbSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: 'Stowage upload load balancer: CloudFront VPC origin (inside the VPC)',
      allowAllOutbound: false,
    });
    const https = props.originCertificate !== undefined;
    const port = https ? 443 : 80;
    lbSecurityGroup.addIngressRule(ec2.Peer.ipv4(this.vpc.vpcCidrBlock), ec2.Port.tcp(port), 'CloudFront VPC origin network interfaces');
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: false,
      vpcSubnets: lbSubnets,
      securityGroup: lbSecurityGroup,
      dropInvalidHeaderFields: true,
      desyncMitigationMode: elbv2.DesyncMitigationMode.STRICTEST,
      // A streamed layer keeps the connection busy; the answer after the last byte comes within CloudFront's 60 s.
      idleTimeout: Duration.seconds(120),
    });
    const listener = this.loadBalancer.addListener('Listener', {
      port,
      protocol: https ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
      ...(https && { certificates: [props.originCertificate!], sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS }),
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'application/json',
        messageBody: JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'the upload service serves only blob upload paths', detail: null }] }),
      }),
    });
    this.targetGroup = listener.addTargets('Uploads', {
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns([UPLOAD_PATH_PATTERN])],
      port: CONTAINER_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service],
      deregistrationDelay: Duration.seconds(120),
      // Readiness: S3 and DynamoDB answer this task's checks (503 naming the failing one otherwise).
      healthCheck: { path: READINESS_PATH, healthyHttpCodes: '200', interval: Duration.seconds(15), healthyThresholdCount: 2 },
    });
    if (props.accessLogBucket) this.loadBalancer.logAccessLogs(props.accessLogBucket, 'alb');

    // Scale out on load: one small task idles; a push that keeps CPU busy brings more.
    const scaling = this.service.autoScaleTaskCount({ minCapacity: props.minTasks, maxCapacity: props.maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: SCALE_OUT_CPU_PERCENT,
      scaleOutCooldown: Duration.seconds(60),
      // Slow to scale in: a task draining uploads keeps them for up to the stop timeout.
      scaleInCooldown: Duration.minutes(5),
    });

    // cdk-nag: findings that are this service's design.
    acknowledge(this.vpc, {
      'AwsSolutions-VPC7': 'flow logs cost per GB and the VPC holds only the upload tasks and their load balancer; turn them on in an existing VPC (vpc prop) if you need them',
    });
    acknowledge(this.taskDefinition, {
      'AwsSolutions-ECS2': 'the environment holds only settings (bucket and table names, ports, the token realm); no secret is passed this way',
    });
    // A container image of one's own (the image prop) is pulled from ECR with ecr:GetAuthorizationToken, which has no resource-level permissions.
    if (props.image) {
      acknowledge(this.taskDefinition.obtainExecutionRole(), {
        'AwsSolutions-IAM5[Resource::*]': 'ecr:GetAuthorizationToken, which pulling the image needs, has no resource-level permissions',
      });
    }
    acknowledge(cluster, { 'AwsSolutions-ECS4': 'Container Insights bills custom metrics per task; the target group and the access lines cover what an operator acts on' });
    acknowledge(lbSecurityGroup, {
      'AwsSolutions-EC23': "the load balancer admits only the VPC's own range (the CloudFront VPC origin's interfaces), on one port; the rule is a token cdk-nag cannot read",
    });
    if (!props.accessLogBucket)
      acknowledge(this.loadBalancer, { 'AwsSolutions-ELB2': 'access logs are an option (accessLogs prop); the server writes an access line per request' });
  }
}
