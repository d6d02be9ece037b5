/**
 * Secure defaults, one function per resource kind. Each returns the props the registry's
 * sub-constructs start from; callers add names, references and the few values props decide.
 * Nothing here creates a resource.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { UPLOAD_TTL_SECONDS } from '../src/adapters/aws/dynamodb-items.js';
import { LAMBDA_ESBUILD_OPTIONS, LAMBDA_RUNTIME_NAME } from './lambda-bundling.js';

/** Days after which S3 aborts a multipart upload nobody completed (issue 4: 7 days). */
export const ABORT_INCOMPLETE_MULTIPART_DAYS = 7;

/**
 * Blob bucket: private (all four public-access blocks, ACLs off), encrypted at rest, TLS-only,
 * no versioning (content is addressed by digest; garbage collection must really delete),
 * retained when the stack goes away. Lifecycle: abort forgotten multipart uploads, and expire
 * upload leftovers a day after the longest upload session lifetime.
 */
export function bucketDefaults(options: { encryptionKey?: kms.IKey; uploadsPrefix: string }): s3.BucketProps {
  const leftoverDays = Math.ceil(UPLOAD_TTL_SECONDS / 86_400) + 1;
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    ...(options.encryptionKey
      ? { encryption: s3.BucketEncryption.KMS, encryptionKey: options.encryptionKey, bucketKeyEnabled: true }
      : { encryption: s3.BucketEncryption.S3_MANAGED }),
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: false,
    removalPolicy: RemovalPolicy.RETAIN,
    autoDeleteObjects: false,
    lifecycleRules: [
      { id: 'abort-incomplete-multipart-uploads', enabled: true, abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_MULTIPART_DAYS) },
      { id: 'expire-upload-leftovers', enabled: true, prefix: options.uploadsPrefix, expiration: Duration.days(leftoverDays) },
    ],
  };
}

/**
 * Metadata table: on-demand, point-in-time recovery, the stream the event outbox reads,
 * deletion protection, retained. Key schema and index come from the adapter (see table.ts).
 */
export function tableDefaults(): Pick<dynamodb.TableProps, 'billingMode' | 'pointInTimeRecoverySpecification' | 'stream' | 'removalPolicy' | 'deletionProtection' | 'encryption'> {
  return {
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
  };
}

/** Every log group: a retention, and removed with the stack (logs are not registry data). */
export function logGroupDefaults(retention: logs.RetentionDays): logs.LogGroupProps {
  return { retention, removalPolicy: RemovalPolicy.DESTROY };
}

/**
 * The Node.js runtime of the regional Lambda functions: the newest Lambda offers (nodejs24.x is
 * supported until 2028-04-30), named once in ./lambda-bundling.ts beside the esbuild target
 * derived from it, so the two cannot drift.
 */
export const LAMBDA_RUNTIME = new lambda.Runtime(LAMBDA_RUNTIME_NAME, lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true });

/**
 * Node.js Lambda functions: LAMBDA_RUNTIME on arm64, esbuild bundles (./lambda-bundling.ts: CommonJS,
 * minified, source maps, the AWS SDK left to the runtime's), JSON logs into a log group with a
 * retention. In this repository `projectRoot` is
 * the package root and its package-lock.json pins what esbuild bundles; installed as a dependency
 * (npm publishes no lockfile) both are left to NodejsFunction, which finds the app's own lockfile.
 */
export function functionDefaults(options: {
  /** Root and lockfile; undefined: NodejsFunction looks upward from the working directory. */
  lock: { projectRoot: string; depsLockFilePath: string } | undefined;
  logGroup: logs.ILogGroup;
  memorySize: number;
  timeout: Duration;
  tracing: boolean;
}): nodejs.NodejsFunctionProps {
  return {
    runtime: LAMBDA_RUNTIME,
    architecture: lambda.Architecture.ARM_64,
    handler: 'handler',
    memorySize: options.memorySize,
    timeout: options.timeout,
    tracing: options.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
    logGroup: options.logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
    systemLogLevelV2: lambda.SystemLogLevel.WARN,
    ...(options.lock && { projectRoot: options.lock.projectRoot, depsLockFilePath: options.lock.depsLockFilePath }),
    environment: { NODE_OPTIONS: '--enable-source-maps' },
    bundling: {
      // The one statement of the options is ./lambda-bundling.ts (scripts/lambda-bundles.mjs measures with it too).
      format: { cjs: nodejs.OutputFormat.CJS, esm: nodejs.OutputFormat.ESM }[LAMBDA_ESBUILD_OPTIONS.format],
      target: LAMBDA_ESBUILD_OPTIONS.target,
      platform: LAMBDA_ESBUILD_OPTIONS.platform,
      minify: LAMBDA_ESBUILD_OPTIONS.minify,
      sourceMap: LAMBDA_ESBUILD_OPTIONS.sourcemap,
      sourcesContent: LAMBDA_ESBUILD_OPTIONS.sourcesContent,
      mainFields: [...LAMBDA_ESBUILD_OPTIONS.mainFields],
      externalModules: LAMBDA_ESBUILD_OPTIONS.external,
      esbuildArgs: {
        '--supported:dynamic-import': String(LAMBDA_ESBUILD_OPTIONS.supported['dynamic-import']),
        '--legal-comments': LAMBDA_ESBUILD_OPTIONS.legalComments,
      },
    },
  };
}

/** Queues (dead-letter and example targets): SQS-managed encryption, TLS only, 14 days. */
export function queueDefaults(): sqs.QueueProps {
  return { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) };
}

/**
 * User pool: administrators create users (no self sign-up), strong passwords, optional TOTP MFA,
 * recovery by e-mail only, no user existence errors, deletion protection, retained. The Lite
 * feature plan is enough: custom scopes for humans are not needed (see auth.ts).
 */
export function userPoolDefaults(): cognito.UserPoolProps {
  return {
    selfSignUpEnabled: false,
    signInAliases: { username: true, email: true },
    signInCaseSensitive: false,
    passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: false, tempPasswordValidity: Duration.days(3) },
    mfa: cognito.Mfa.OPTIONAL,
    mfaSecondFactor: { sms: false, otp: true },
    accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
    featurePlan: cognito.FeaturePlan.LITE,
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  };
}

/** App clients: no secrets in logs, revocation on, short-lived access tokens. */
export function userPoolClientDefaults(): Pick<
  cognito.UserPoolClientOptions,
  'preventUserExistenceErrors' | 'enableTokenRevocation' | 'accessTokenValidity' | 'idTokenValidity' | 'refreshTokenValidity'
> {
  return {
    preventUserExistenceErrors: true,
    enableTokenRevocation: true,
    accessTokenValidity: Duration.hours(1),
    idTokenValidity: Duration.hours(1),
    refreshTokenValidity: Duration.days(30),
  };
}

/**
 * Distribution: HTTPS only (a registry must never take credentials over plain HTTP, and a
 * redirect would break PUT/PATCH/POST), TLS 1.2+ with a custom certificate (the default
 * `*.cloudfront.net` certificate's policy is fixed by CloudFront), HTTP/2 and 3, IPv6.
 */
export function distributionDefaults(options: {
  customCertificate: boolean;
}): Pick<cloudfront.DistributionProps, 'minimumProtocolVersion' | 'httpVersion' | 'enableIpv6' | 'priceClass' | 'enabled'> {
  return {
    ...(options.customCertificate && { minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 }),
    httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    enableIpv6: true,
    priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    enabled: true,
  };
}

/** Viewer protocol for every behaviour. */
export const VIEWER_PROTOCOL = cloudfront.ViewerProtocolPolicy.HTTPS_ONLY;
