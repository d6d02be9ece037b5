/**
 * StowageRegistry: the whole AWS deployment of the registry as one construct, for `cdk deploy`
 * and for platform teams adding a registry to their own CDK app.
 *
 *   client --TLS--> CloudFront --(default)--> REST API (authorizer, API key) --> Lambda per operation
 *                              \--(/v2/*\/blobs/uploads/*)--> VPC origin --> internal ALB --> Fargate
 *   Lambdas and tasks --> S3 (blobs) + DynamoDB (metadata) --stream--> consumer --> EventBridge
 *
 * Every prop is validated before anything is created (props.ts). Each part lives in its own
 * construct file: storage, table, auth, api, functions, front door, upload service, events, alarms.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Annotations, Aspects, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { settingsEnvironment } from '../src/config/settings.js';
import { RegistryAlarms } from './alarms.js';
import { RegistryDashboard } from './dashboard.js';
import { RegistryApi } from './api.js';
import { RegistryAuth } from './auth.js';
import { authEnvironment, loginLimiterStatement, tokenEnvironment, type AuthEnvironmentProps } from './auth-environment.js';
import { RegistryEvents } from './events.js';
import { RegistryCollector } from './collector.js';
import { FrontDoor } from './front-door.js';
import { IamLogin } from './iam-login.js';
import { WebConsole } from './console.js';
import { ProviderLogRetention } from './log-retention.js';
import { FunctionFactory, OPERATIONS, OperationFunctions, operationEntry } from './functions.js';
import { resolveProps, type StowageRegistryProps } from './props.js';
import { RegistryStorage } from './storage.js';
import { RegistryTable } from './table.js';
import { UploadService } from './upload-service.js';

/** The package root: compiled code runs from dist/lib/, the TypeScript entries live in lambdas/ and lib/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What other constructs need from a registry. */
export interface IStowageRegistry {
  /** Host name clients use (`docker login <host>`). */
  readonly registryHost: string;
  readonly bucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly userPool: cognito.IUserPool;
  readonly eventBus: events.IEventBus;
}

/** An entry under the entry directory (`lambdas/token.ts`, ...), or this package's fallback in lib/handlers/ when a fork's directory lacks it. */
export function entryOrPlaceholder(directory: string, name: string): string {
  const real = join(directory, `${name}.ts`);
  return existsSync(real) ? real : join(PACKAGE_ROOT, 'lib', 'handlers', `${name === 'token' ? 'token-unavailable' : name}.ts`);
}

export class StowageRegistry extends Construct implements IStowageRegistry {
  readonly registryHost: string;
  readonly bucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly userPool: cognito.IUserPool;
  readonly eventBus: events.IEventBus;

  readonly storage: RegistryStorage;
  readonly metadata: RegistryTable;
  readonly auth: RegistryAuth;
  readonly functions: OperationFunctions;
  readonly api: RegistryApi;
  readonly events: RegistryEvents;
  /** The scheduled garbage collector (lib/collector.ts). */
  readonly collector: RegistryCollector;
  readonly frontDoor: FrontDoor;
  /** The web console at /ui/* of the front door; undefined with `webConsole: false`. */
  readonly webConsole: WebConsole | undefined;
  readonly uploadService: UploadService | undefined;
  /** IAM login's signing key (prop `iamLogin`); undefined when off. */
  readonly iamLogin: IamLogin | undefined;
  readonly alarms: RegistryAlarms;
  readonly dashboard: RegistryDashboard | undefined;

  constructor(scope: Construct, id: string, props: StowageRegistryProps = {}) {
    super(scope, id);
    const p = resolveProps(props);
    const entryDirectory = p.entryDirectory ?? join(PACKAGE_ROOT, 'lambdas');
    const missing = [...OPERATIONS.map((op) => operationEntry(entryDirectory, op)), join(entryDirectory, 'stream-events.ts'), join(entryDirectory, 'gc.ts')].filter(
      (f) => !existsSync(f),
    );
    if (missing.length > 0) throw new Error(`StowageRegistry: Lambda entry points missing:\n  - ${missing.join('\n  - ')}`);

    const factory = new FunctionFactory({ projectRoot: PACKAGE_ROOT, logRetention: p.logRetention, memorySize: p.functionMemoryMiB, tracing: p.tracing });

    this.storage = new RegistryStorage(this, 'Storage', { prefix: p.s3Prefix, accessLogs: p.accessLogs, ...(p.encryptionKey && { encryptionKey: p.encryptionKey }) });
    this.metadata = new RegistryTable(this, 'Metadata');
    this.functions = new OperationFunctions(this, 'Operations', {
      factory,
      entryDirectory,
      storage: this.storage,
      table: this.metadata,
      presignExpiresSeconds: p.presignExpiresSeconds,
      repositoriesDocument: p.repositoriesDocument,
    });

    const anonymousPullAuthorizer =
      p.anonymousPull || p.iamLogin
        ? factory.create(this, 'AnonymousPullAuthorizer', {
            entry: entryOrPlaceholder(entryDirectory, 'anonymous-pull-authorizer'),
            description: p.iamLogin ? 'Stowage: REQUEST authorizer (every method: IAM login tokens, anonymous pull)' : 'Stowage: REQUEST authorizer for pulls (anonymous pull)',
            memorySize: 256,
          })
        : undefined;
    this.auth = new RegistryAuth(this, 'Auth', {
      resourceServerIdentifier: p.resourceServerIdentifier,
      domainPrefix: p.cognitoDomainPrefix,
      ...(anonymousPullAuthorizer && { anonymousPullAuthorizer }),
      iamLogin: p.iamLogin,
    });
    this.iamLogin = p.iamLogin ? new IamLogin(this, 'IamLogin') : undefined;
    // Auth is on in every component: each authorizes with the verified principal and the policy.
    const authEnv: AuthEnvironmentProps = {
      auth: this.auth,
      resourceServerIdentifier: p.resourceServerIdentifier,
      additionalClientIds: p.additionalClientIds,
      policyDocument: p.policyDocument,
    };
    for (const fn of [...this.functions.byOperation.values(), ...(anonymousPullAuthorizer ? [anonymousPullAuthorizer] : [])]) {
      for (const [name, value] of Object.entries(authEnvironment(authEnv))) fn.addEnvironment(name, value);
    }
    const tokenFunction = factory.create(this, 'Token', {
      entry: entryOrPlaceholder(entryDirectory, 'token'),
      description: 'Stowage: Docker token endpoint',
      memorySize: 256,
      environment: tokenEnvironment({ ...authEnv, table: this.metadata, serviceName: p.serviceName }),
    });
    tokenFunction.addToRolePolicy(loginLimiterStatement(this.metadata));
    if (this.iamLogin) {
      for (const [name, value] of Object.entries(this.iamLogin.environment)) {
        tokenFunction.addEnvironment(name, value);
        anonymousPullAuthorizer?.addEnvironment(name, value);
      }
      this.iamLogin.grantMint(tokenFunction);
      if (anonymousPullAuthorizer) this.iamLogin.grantVerify(anonymousPullAuthorizer);
    }
    if (p.anonymousPull && !p.policyHasAnonymousPull) {
      Annotations.of(this).addWarningV2(
        'stowage:anonymous-pull-policy',
        'anonymousPull is on, but the policy lets nobody pull anonymously (anonymous.pull is empty): every pull still needs a login.',
      );
    }
    if (p.policyHasAnonymousPull && !p.anonymousPull) {
      Annotations.of(this).addWarningV2(
        'stowage:anonymous-pull-off',
        "the policy's anonymous pulls take effect only with anonymousPull: true (the Cognito authorizer refuses requests without a user pool token).",
      );
    }

    this.api = new RegistryApi(this, 'Api', {
      auth: this.auth,
      functions: this.functions,
      tokenFunction,
      stageName: p.stageName,
      throttleRateLimit: p.throttleRateLimit,
      throttleBurstLimit: p.throttleBurstLimit,
      logRetention: p.logRetention,
      tracing: p.tracing,
    });

    this.events = new RegistryEvents(this, 'Events', { factory, entryDirectory, table: this.metadata });
    this.collector = new RegistryCollector(this, 'Collector', {
      factory,
      entryDirectory,
      table: this.metadata,
      storage: this.storage,
      repositoriesDocument: p.repositoriesDocument,
    });

    const u = p.uploadService;
    this.uploadService = u.enabled
      ? new UploadService(this, 'UploadService', {
          projectRoot: PACKAGE_ROOT,
          storage: this.storage,
          table: this.metadata,
          presignExpiresSeconds: p.presignExpiresSeconds,
          minTasks: u.desiredCount,
          maxTasks: u.maxCount,
          spot: u.spot,
          cpu: u.cpu,
          memoryMiB: u.memoryMiB,
          natGateways: u.natGateways,
          ...(u.vpc && { vpc: u.vpc }),
          ...(u.originCertificate && { originCertificate: u.originCertificate }),
          ...(u.image && { image: u.image }),
          logRetention: p.logRetention,
          ...(this.storage.accessLogBucket && { accessLogBucket: this.storage.accessLogBucket }),
        })
      : undefined;
    this.frontDoor = new FrontDoor(this, 'FrontDoor', {
      projectRoot: PACKAGE_ROOT,
      api: this.api,
      blobs: { bucket: this.storage.bucket, prefix: this.storage.prefix },
      ...(this.uploadService && { uploadLoadBalancer: this.uploadService.loadBalancer }),
      uploadOriginHttps: u.originCertificate !== undefined,
      ...(p.customDomain && { customDomain: p.customDomain }),
      ...(p.webAclArn && { webAclArn: p.webAclArn }),
      ...(p.priceClass && { priceClass: p.priceClass }),
      ...(p.serviceName !== undefined && { serviceName: p.serviceName }),
      ...(this.storage.accessLogBucket && { accessLogBucket: this.storage.accessLogBucket }),
    });

    // The web console (issue 16): its own block, a behaviour of its own added to the front door.
    this.webConsole = p.webConsole
      ? new WebConsole(this, 'WebConsole', {
          distribution: this.frontDoor.distribution,
          assetsDir: join(PACKAGE_ROOT, 'dist/ui'),
          logRetention: p.logRetention,
          accessLogBucket: this.storage.accessLogBucket,
        })
      : undefined;

    // The upload service verifies the same Cognito tokens itself, and its 401s name the public token endpoint.
    if (this.uploadService) {
      const container = this.uploadService.taskDefinition.defaultContainer!;
      const environment = {
        ...authEnvironment(authEnv),
        // Every connection comes from the load balancer's own addresses, so no per-address
        // connection cap; uploads are counted per viewer (the client-address header).
        ...settingsEnvironment({ realm: `https://${this.frontDoor.publicHost}/token`, service: p.serviceName ?? this.frontDoor.publicHost, connectionsPerAddress: 0 }),
        // The collector Lambda collects (lib/collector.ts); the upload tasks have no rights to.
        ...settingsEnvironment({ gcInterval: 0 }),
      };
      for (const [name, value] of Object.entries(environment)) container.addEnvironment(name, value);
      if (this.iamLogin) {
        for (const [name, value] of Object.entries(this.iamLogin.environment)) container.addEnvironment(name, value);
        this.iamLogin.grantVerify(this.uploadService.taskDefinition.taskRole);
      }
    }

    this.alarms = new RegistryAlarms(this, 'Alarms', {
      api: this.api.api,
      streamConsumer: this.events.consumer,
      deadLetterQueues: [
        { name: 'Stream', queue: this.events.deadLetterQueue },
        { name: 'Scan', queue: this.events.scanDeadLetterQueue },
      ],
      ...(this.uploadService && { uploadTargetGroup: this.uploadService.targetGroup }),
      ...(p.alarmTopic && { topic: p.alarmTopic }),
      ...(p.alarmEmail && { email: p.alarmEmail }),
    });

    // A dashboard bills $3 a month beyond CloudWatch's free three: an option (docs/cost.md).
    this.dashboard = p.dashboard ? new RegistryDashboard(this, 'Dashboard', { operations: [...OPERATIONS, 'token'] }) : undefined;
    for (const [operation, concurrency] of Object.entries(p.reservedConcurrency)) {
      const fn = operation === 'token' ? tokenFunction : this.functions.byOperation.get(operation as (typeof OPERATIONS)[number]);
      // props.ts checked the names; the L1 property because NodejsFunction takes it only at construction.
      (fn!.node.defaultChild as import('aws-cdk-lib/aws-lambda').CfnFunction).reservedConcurrentExecutions = concurrency;
    }
    // The request-serving Lambdas (their request-log middleware reads it) and the upload service log at the logLevel prop's level.
    const logLevel = settingsEnvironment({ logLevel: p.logLevel });
    for (const fn of [...this.functions.byOperation.values(), tokenFunction]) {
      for (const [name, value] of Object.entries(logLevel)) fn.addEnvironment(name, value);
    }
    for (const [name, value] of Object.entries(logLevel)) this.uploadService?.taskDefinition.defaultContainer?.addEnvironment(name, value);

    // CDK's own provider functions (default security group, cross-region references) get retention too.
    Aspects.of(Stack.of(this)).add(new ProviderLogRetention(p.logRetention));

    this.registryHost = this.frontDoor.publicHost;
    this.bucket = this.storage.bucket;
    this.table = this.metadata.table;
    this.userPool = this.auth.userPool;
    this.eventBus = this.events.bus;
  }
}
