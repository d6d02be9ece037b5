/**
 * The front door: one CloudFront distribution, because clients need `/v2/` at the root of a TLS
 * host (an API Gateway stage URL has the stage in its path). Its `*.cloudfront.net` name works
 * with docker as is; a custom domain is optional.
 *
 *   default behaviour          -> the REST API (regional; origin path = the stage), with the API
 *                                 key as an origin header, a Lambda@Edge origin-response function
 *                                 restoring the headers API Gateway renames
 *   /v2/*\/blobs/uploads/*      -> the upload service's internal load balancer through a VPC
 *                                 origin (or the API when the upload service is off)
 *   /<prefix>content/*          -> the bucket: where blob GETs redirect (same host), the S3
 *                                 presigned request passed on unchanged, a viewer-response
 *                                 function adding Docker-Content-Digest (edge/blob-response.ts)
 *
 * Both behaviours run a viewer-request CloudFront Function (client address, public host, token
 * challenge); the API behaviour's also rewrites repository paths into the API's fixed route shape
 * (edge/viewer-request.ts), the upload behaviour's leaves them for the upload service, and a cache policy that puts Authorization in the cache key, which is the only way
 * CloudFront forwards it. CloudFront refuses header keys in a policy whose TTLs are all 0, so the
 * maximum TTL is 1 s and the default 0: nothing without Cache-Control is cached, and what is (an
 * immutable blob redirect) is cached for at most a second under that very token.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DockerImage, Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { API_KEY_HEADER, type RegistryApi } from './api.js';
import { distributionDefaults, VIEWER_PROTOCOL } from './defaults.js';
import { blobResponseFunctionCode } from './edge/blob-response.js';
import { viewerRequestFunctionCode } from './edge/viewer-request.js';
import { areaPrefixes } from './permissions.js';
import { acknowledge } from './nag.js';
import type { CustomDomainProps } from './props.js';

/** CloudFront path pattern of the upload routes (POST .../blobs/uploads/ and .../uploads/<id>). */
export const UPLOAD_PATH_PATTERN = '/v2/*/blobs/uploads/*';

/** How long CloudFront waits for the upload service's answer (its default quota allows it). */
export const UPLOAD_ORIGIN_TIMEOUT = Duration.seconds(60);

export interface FrontDoorProps {
  readonly projectRoot: string;
  readonly api: RegistryApi;
  /** The blob bucket and the stack's key prefix: the content behaviour serves `/<prefix>content/*` from it. */
  readonly blobs: { readonly bucket: s3.IBucket; readonly prefix: string };
  /** The upload service's load balancer; undefined sends uploads to the API. */
  readonly uploadLoadBalancer?: elbv2.IApplicationLoadBalancer;
  /** HTTPS to the load balancer (it has a certificate for the public host). */
  readonly uploadOriginHttps: boolean;
  readonly customDomain?: CustomDomainProps;
  readonly webAclArn?: string;
  readonly priceClass?: cloudfront.PriceClass;
  readonly serviceName?: string;
  /** Bucket for the distribution's standard access logs. @default - no access logs */
  readonly accessLogBucket?: s3.IBucket;
}

export class FrontDoor extends Construct {
  readonly distribution: cloudfront.Distribution;
  /** What `docker login` takes. */
  readonly publicHost: string;
  /** On the API behaviour: headers plus the rewrite into the API's fixed route shape. */
  readonly viewerRequestFunction: cloudfront.Function;
  /** On the upload behaviour (when the upload service exists): headers only, paths untouched. */
  readonly uploadViewerRequestFunction?: cloudfront.Function;
  readonly originResponseFunction: cloudfront.experimental.EdgeFunction;
  readonly cachePolicy: cloudfront.CachePolicy;
  /** On the blob content behaviour: Docker-Content-Digest from the signed URL. */
  readonly blobResponseFunction: cloudfront.Function;

  constructor(scope: Construct, id: string, props: FrontDoorProps) {
    super(scope, id);
    // --- viewer-request functions (issue 13: the fixed route shape) ---
    const functionCode = (rewriteRoutes: boolean) =>
      cloudfront.FunctionCode.fromInline(
        viewerRequestFunctionCode({ apiKeyHeader: API_KEY_HEADER, rewriteRoutes, ...(props.serviceName !== undefined && { serviceName: props.serviceName }) }),
      );
    this.viewerRequestFunction = new cloudfront.Function(this, 'ViewerRequest', {
      comment: 'Stowage: client address, public host and token challenge headers; repository paths to the API route shape',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: functionCode(true),
    });
    if (props.uploadLoadBalancer) {
      this.uploadViewerRequestFunction = new cloudfront.Function(this, 'UploadViewerRequest', {
        comment: 'Stowage: client address, public host and token challenge headers (upload service)',
        runtime: cloudfront.FunctionRuntime.JS_2_0,
        code: functionCode(false),
      });
    }

    // Lambda@Edge: x86_64 only, no environment; CDK puts it in a us-east-1 stack when this one is elsewhere.
    this.originResponseFunction = new cloudfront.experimental.EdgeFunction(this, 'OriginResponse', {
      description: 'Stowage: restore the headers API Gateway renames (WWW-Authenticate, Content-Length on HEAD)',
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      memorySize: 128,
      timeout: Duration.seconds(5),
      code: edgeFunctionCode(props.projectRoot),
    });

    this.cachePolicy = new cloudfront.CachePolicy(this, 'AuthorizationKeyed', {
      comment: 'Stowage: Authorization and every query string in the key (so both are forwarded); no caching in effect',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList('Authorization'),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: false,
      enableAcceptEncodingBrotli: false,
    });

    const viewerRequest = [{ function: this.viewerRequestFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }];
    const uploadViewerRequest = this.uploadViewerRequestFunction
      ? [{ function: this.uploadViewerRequestFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }]
      : viewerRequest;
    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: new origins.RestApiOrigin(props.api.api, {
        customHeaders: { [API_KEY_HEADER]: props.api.apiKeyValue },
        readTimeout: Duration.seconds(30),
      }),
      viewerProtocolPolicy: VIEWER_PROTOCOL,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      cachePolicy: this.cachePolicy,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      functionAssociations: viewerRequest,
      edgeLambdas: [{ functionVersion: this.originResponseFunction.currentVersion, eventType: cloudfront.LambdaEdgeEventType.ORIGIN_RESPONSE }],
      compress: false,
    };
    const uploadBehavior: cloudfront.BehaviorOptions = props.uploadLoadBalancer
      ? {
          origin: origins.VpcOrigin.withApplicationLoadBalancer(props.uploadLoadBalancer, {
            protocolPolicy: props.uploadOriginHttps ? cloudfront.OriginProtocolPolicy.HTTPS_ONLY : cloudfront.OriginProtocolPolicy.HTTP_ONLY,
            originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
            readTimeout: UPLOAD_ORIGIN_TIMEOUT,
            keepaliveTimeout: Duration.seconds(60),
          }),
          viewerProtocolPolicy: VIEWER_PROTOCOL,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
          cachePolicy: this.cachePolicy,
          // With HTTPS the load balancer's certificate names the public host, so Host goes along.
          originRequestPolicy: props.uploadOriginHttps ? cloudfront.OriginRequestPolicy.ALL_VIEWER : cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          functionAssociations: uploadViewerRequest,
          compress: false,
        }
      : apiBehavior;

    // --- blob content behaviour (issue 13: exact headers after a blob GET's redirect) ---
    // A blob GET answers 307 to `/<prefix>content/<id>?<S3 presigned query>` on this host. The
    // origin is the bucket's regional endpoint, as the URL was signed for (CloudFront sends the
    // origin's domain as Host): S3 checks the signature itself, so no origin access control and
    // no CloudFront key pair are needed, and the expiry is the presigned URL's. Authorization is
    // never forwarded (a client following a same-host redirect resends its bearer token, which S3
    // would refuse beside a presigned query), only the query string; nothing is cached.
    this.blobResponseFunction = new cloudfront.Function(this, 'BlobResponse', {
      comment: 'Stowage: Docker-Content-Digest and Content-Type on blob content served from S3',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(blobResponseFunctionCode()),
    });
    const blobBehavior: cloudfront.BehaviorOptions = {
      origin: origins.S3BucketOrigin.withBucketDefaults(props.blobs.bucket),
      viewerProtocolPolicy: VIEWER_PROTOCOL,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: new cloudfront.OriginRequestPolicy(this, 'PresignedQuery', {
        comment: 'Stowage: the presigned query string to S3, no viewer headers',
        queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
        headerBehavior: cloudfront.OriginRequestHeaderBehavior.none(),
        cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
      }),
      functionAssociations: [{ function: this.blobResponseFunction, eventType: cloudfront.FunctionEventType.VIEWER_RESPONSE }],
      compress: false,
    };
    const blobPathPattern = `/${areaPrefixes(props.blobs.prefix).content}*`;

    const domain = props.customDomain;
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      ...distributionDefaults({ customCertificate: domain !== undefined }),
      ...(props.priceClass && { priceClass: props.priceClass }),
      comment: 'Stowage OCI registry',
      defaultBehavior: apiBehavior,
      additionalBehaviors: { [UPLOAD_PATH_PATTERN]: uploadBehavior, [blobPathPattern]: blobBehavior },
      ...(domain && { domainNames: [...domain.domainNames], certificate: domain.certificate }),
      ...(props.webAclArn && { webAclId: props.webAclArn }),
      ...(props.accessLogBucket && { enableLogging: true, logBucket: props.accessLogBucket, logFilePrefix: 'cloudfront/' }),
    });

    if (domain?.hostedZone) {
      const target = route53.RecordTarget.fromAlias(new route53Targets.CloudFrontTarget(this.distribution));
      domain.domainNames.forEach((name, i) => {
        new route53.ARecord(this, `Alias${i}`, { zone: domain.hostedZone!, recordName: name, target });
        new route53.AaaaRecord(this, `AliasV6${i}`, { zone: domain.hostedZone!, recordName: name, target });
      });
    }
    this.publicHost = domain?.domainNames[0] ?? this.distribution.distributionDomainName;

    // cdk-nag: the distribution's and the edge function's findings that are their design.
    acknowledge(this.distribution, {
      'AwsSolutions-CFR1': 'a registry serves its users wherever they are; restrict countries with a web ACL (webAclArn) if you must',
      'AwsSolutions-CFR7':
        "the blob content behaviour relays S3's own presigned requests (the signature and expiry are the access control, checked by S3); the console's origin uses origin access control",
      ...(!props.webAclArn && { 'AwsSolutions-CFR2': 'a web ACL costs about $6 a month plus requests; it is a prop (webAclArn, or -c stowage:waf=true)' }),
      ...(!props.accessLogBucket && { 'AwsSolutions-CFR3': 'access logs are an option (accessLogs prop); the API keeps its own access log' }),
      ...(!domain && {
        'AwsSolutions-CFR4': "the default *.cloudfront.net certificate is CloudFront's own and cannot pin a minimum TLS version; a custom domain gets TLSv1.2_2021",
      }),
    });
    acknowledge(this.originResponseFunction.currentVersion.lambda, {
      'AwsSolutions-L1': "Lambda@Edge's runtimes lag the regional ones: the newest Node.js that Lambda@Edge accepts",
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]': "AWS's managed policy for the function's own log writes",
    });
  }
}

/**
 * The origin-response function's code: lib/edge/origin-response.ts bundled by esbuild in this
 * process (CommonJS for Lambda@Edge), falling back to a container build when esbuild is absent.
 */
function edgeFunctionCode(projectRoot: string): lambda.Code {
  const sourceDir = join(projectRoot, 'lib', 'edge');
  const options = { bundle: true, platform: 'node', target: 'node22', format: 'cjs', minify: true } as const;
  return lambda.Code.fromAsset(sourceDir, {
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
      command: [
        'sh',
        '-c',
        'npx --yes esbuild@0.28 /asset-input/origin-response.ts --bundle --platform=node --target=node22 --format=cjs --minify --outfile=/asset-output/index.js',
      ],
      local: {
        tryBundle(outputDir: string): boolean {
          let esbuild: typeof import('esbuild');
          try {
            esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
          } catch {
            return false;
          }
          esbuild.buildSync({ ...options, entryPoints: [join(sourceDir, 'origin-response.ts')], outfile: join(outputDir, 'index.js'), logLevel: 'warning' });
          return true;
        },
      },
    },
  });
}
