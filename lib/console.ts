/**
 * The web console on AWS (issue 16): the files `npm run build` writes to dist/ui/ (the same the
 * node server serves, src/shells/http/console-assets.ts) in a private S3 bucket, read by
 * CloudFront through origin access control, at `/ui/*` of the registry's own front door. Same
 * origin as the registry API, so the console's token flow and its CSP (`connect-src 'self'`)
 * work unchanged.
 *
 *   /ui/assets/*      content-hashed script and stylesheet: Cache-Control immutable, a year
 *   /ui/index.html    Cache-Control no-cache (a deploy shows at the next load)
 *   /ui/<route>       a viewer-request CloudFront Function answers the console's own routes
 *                     (no file extension, or under /ui/r/) with /ui/index.html, as the node
 *                     server does, so a reload or a shared link works
 *
 * Every response carries the console's CSP (one definition, CONSOLE_CSP) and the usual
 * security headers, from a response headers policy.
 */
import { existsSync } from 'node:fs';
import { DefaultStackSynthesizer, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { CONSOLE_CSP } from '../src/shells/http/console-assets.js';
import { logGroupDefaults, VIEWER_PROTOCOL } from './defaults.js';
import { acknowledge, nagAttributeToken } from './nag.js';

/** The front door path of the console (the node server's too). */
export const CONSOLE_PATH_PATTERN = '/ui/*';

/** Where the console's files sit in its bucket: the same path as in the URL, so no rewrite but the route fallback. */
export const CONSOLE_KEY_PREFIX = 'ui/';

export interface WebConsoleProps {
  /** The front door to add the `/ui/*` behaviour to. */
  readonly distribution: cloudfront.Distribution;
  /** The built console (dist/ui/ of the package). */
  readonly assetsDir: string;
  /** Retention of the deployment function's log group, as for every function of the stack. */
  readonly logRetention: logs.RetentionDays;
  /** The stack's access-log bucket when access logs are on (accessLogs prop): the console bucket logs there too. */
  readonly accessLogBucket?: s3.IBucket | undefined;
}

/** The viewer-request function: console routes get index.html; files are served as they are. */
export const CONSOLE_ROUTE_FUNCTION = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  var last = uri.slice(uri.lastIndexOf('/') + 1);
  if (uri === '/ui/' || uri.indexOf('/ui/r/') === 0 || last.indexOf('.') === -1) request.uri = '/ui/index.html';
  return request;
}`;

export class WebConsole extends Construct {
  readonly bucket: s3.Bucket;
  readonly routeFunction: cloudfront.Function;
  readonly responseHeaders: cloudfront.ResponseHeadersPolicy;

  constructor(scope: Construct, id: string, props: WebConsoleProps) {
    super(scope, id);
    if (!existsSync(`${props.assetsDir}/index.html`)) {
      throw new Error(`WebConsole: ${props.assetsDir}/index.html is missing: run \`npm run build\` first (it builds the console), or set webConsole: false`);
    }
    // Built files only, rebuilt from the package at every deploy: nothing to keep when the stack goes.
    this.bucket = new s3.Bucket(this, 'Assets', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: false,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
      ...(props.accessLogBucket && { serverAccessLogsBucket: props.accessLogBucket, serverAccessLogsPrefix: 'console/' }),
    });
    if (!props.accessLogBucket) {
      acknowledge(this.bucket, { 'AwsSolutions-S1': 'access logs are an option (accessLogs prop); the bucket holds the public console files only' });
    }

    // index.html (and anything else outside assets/) revalidated; hashed assets kept a year.
    // Old hashed assets stay (prune off) for pages still open on the previous index.html.
    const source = s3deploy.Source.asset(props.assetsDir);
    // One log group for CDK's deployment function, shared by both deployments (one function serves them).
    const logGroup = new LogGroup(this, 'DeploymentLogs', logGroupDefaults(props.logRetention));
    new s3deploy.BucketDeployment(this, 'Pages', {
      sources: [source],
      destinationBucket: this.bucket,
      destinationKeyPrefix: CONSOLE_KEY_PREFIX,
      exclude: ['assets/*'],
      cacheControl: [s3deploy.CacheControl.noCache()],
      prune: false,
      memoryLimit: 256,
      logGroup,
    });
    new s3deploy.BucketDeployment(this, 'HashedAssets', {
      sources: [source],
      destinationBucket: this.bucket,
      destinationKeyPrefix: CONSOLE_KEY_PREFIX,
      exclude: ['*'],
      include: ['assets/*'],
      cacheControl: [s3deploy.CacheControl.setPublic(), s3deploy.CacheControl.maxAge(Duration.days(365)), s3deploy.CacheControl.immutable()],
      prune: false,
      memoryLimit: 256,
      logGroup,
    });

    this.routeFunction = new cloudfront.Function(this, 'Routes', {
      comment: 'Stowage web console: its routes get index.html',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(CONSOLE_ROUTE_FUNCTION),
    });

    this.responseHeaders = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Stowage web console: CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });

    props.distribution.addBehavior(CONSOLE_PATH_PATTERN, origins.S3BucketOrigin.withOriginAccessControl(this.bucket), {
      viewerProtocolPolicy: VIEWER_PROTOCOL,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      // Caches by the objects' own Cache-Control (set above); no header, cookie or query in the key.
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      responseHeadersPolicy: this.responseHeaders,
      functionAssociations: [{ function: this.routeFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      compress: true,
    });

    // cdk-nag: CDK's own deployment function (one per stack, made by BucketDeployment) copies the
    // built files from CDK's asset bucket into this one, with the role and runtime CDK gives it.
    // Its findings are granular (one per action and resource), so each is named.
    const stack = Stack.of(this);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const qualifier =
      stack.synthesizer instanceof DefaultStackSynthesizer
        ? (stack.synthesizer.bootstrapQualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER)
        : DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const wildcards = ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*'];
    const resources = [`Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-${account}-${region}/*`, `Resource::${nagAttributeToken(this.bucket, 'Arn')}/*`];
    for (const child of stack.node.children) {
      if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
      acknowledge(child, {
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
          "CDK's BucketDeployment function writes its logs with AWS's managed basic execution policy",
        ...Object.fromEntries(
          [...wildcards, ...resources].map((finding) => [
            `AwsSolutions-IAM5[${finding}]`,
            "CDK's BucketDeployment function reads CDK's asset bucket and writes the console bucket (wildcards within those two buckets only)",
          ]),
        ),
        'AwsSolutions-L1': "CDK's BucketDeployment function runs the runtime CDK chooses for it",
      });
    }
  }
}
