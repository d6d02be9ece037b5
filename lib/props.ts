/**
 * StowageRegistry's props and their validation. Every prop is checked here, all at once, before
 * the construct creates anything: a bad combination fails synthesis with one message that lists
 * every problem.
 */
import { RepositorySettings, type RepositorySettingsInput } from '../src/core/repository-settings.js';
import { Token } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { checkSetting, SETTINGS, type SettingValue } from '../src/config/settings.js';
import { Policy } from '../src/core/auth/policy.js';
import { readPolicyDocument } from '../src/core/auth/policy-file.js';
import { ROUTES } from '../src/core/routes.js';

/** The largest repository-name depth the REST API can route while staying far below 500 resources. */
export const MAX_NAME_DEPTH_LIMIT = 8;

export interface UploadServiceProps {
  /**
   * Run the upload service (the node server on Fargate behind CloudFront). Off, the upload
   * routes go to their Lambdas: request bodies are then limited to about 4.5 MiB (Lambda's
   * payload limit after base64), which docker and ctr exceed with real layers.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Tasks that run when the registry is idle: the floor the service scales in to. One task
   * keeps the idle cost low (docs/cost.md); two survive the loss of an Availability Zone or a
   * Spot interruption without a pause in pushes.
   * @default 1
   */
  readonly desiredCount?: number;
  /**
   * Tasks the service scales out to when average CPU stays above 60% (hashing streamed layers).
   * @default 4
   */
  readonly maxCount?: number;
  /**
   * Run the tasks on Fargate Spot (arm64 needs platform 1.4.0, the default): about 70% below
   * on-demand, but AWS may stop a task with two minutes' warning (uploads in flight then fail
   * and the client retries; ECS starts a replacement). Turn off for on-demand capacity.
   * @default true
   */
  readonly spot?: boolean;
  /**
   * Fargate CPU units per task (arm64).
   * @default 256
   */
  readonly cpu?: number;
  /**
   * Memory per task, MiB; must suit `cpu` (Fargate's table).
   * @default 512
   */
  readonly memoryMiB?: number;
  /**
   * NAT gateways for the VPC the construct creates. 0 puts the tasks in public subnets with
   * public addresses (no inbound rule admits anything but the load balancer) so they reach ECR,
   * S3, DynamoDB and CloudWatch without a NAT; 1 or more puts them in private subnets.
   * @default 0
   */
  readonly natGateways?: number;
  /**
   * An existing VPC instead of a new one. It needs public subnets (an internet gateway: CloudFront
   * VPC origins require one) and private subnets for the internal load balancer.
   * @default - a new VPC with two Availability Zones
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Certificate (in the stack's region) for HTTPS between CloudFront and the load balancer. It
   * must name the public host (the upload behaviour forwards Host). Without it the VPC origin
   * speaks HTTP inside the VPC.
   * @default - HTTP between CloudFront and the load balancer
   */
  readonly originCertificate?: acm.ICertificate;
  /**
   * A container image that runs `stowage serve` (e.g. `ecs.ContainerImage.fromAsset(root, { platform:
   * Platform.LINUX_ARM64 })` for the repository's Dockerfile, which needs Docker at deploy).
   * @default - the server bundled by esbuild at synthesis, run on the stock Node.js image (no Docker at deploy)
   */
  readonly image?: ecs.ContainerImage;
}

export interface CustomDomainProps {
  /** Host names clients use (`docker login registry.example.com`). */
  readonly domainNames: readonly string[];
  /** Certificate for them, in us-east-1 (CloudFront's requirement). */
  readonly certificate: acm.ICertificate;
  /**
   * Hosted zone in which to create alias records for the names.
   * @default - no DNS records; point the names at the distribution yourself
   */
  readonly hostedZone?: route53.IHostedZone;
}

export interface StowageRegistryProps {
  /**
   * No longer used: the API has a fixed route shape (the front door rewrites repository paths,
   * lib/edge/viewer-request.ts), so names of any depth route. Still validated (1..8) so that
   * existing `stowage:maxNameDepth` context values keep synthesizing.
   * @deprecated names of any depth route
   * @default 5
   */
  readonly maxNameDepth?: number;
  /**
   * API Gateway stage name; also CloudFront's origin path for the API.
   * @default 'registry'
   */
  readonly stageName?: string;
  /**
   * `service` in the Docker token challenge and the token endpoint's audience: the service
   * setting.
   * @default - the public host name the client used
   */
  readonly serviceName?: string;
  /**
   * Key prefix inside the bucket (`registry/`); empty or ending in `/`: the s3Prefix setting.
   * @default ''
   */
  readonly s3Prefix?: string;
  /**
   * KMS key for the bucket. Without it objects are encrypted with S3-managed keys (SSE-S3).
   * @default - SSE-S3
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Lifetime of the presigned URLs blob GET and HEAD redirect to, seconds: the
   * s3PresignExpires setting of the functions and the upload service (src/config/settings.ts).
   * @default 900
   */
  readonly presignExpiresSeconds?: number;
  /**
   * Retention of every log group the construct creates.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Memory of each operation Lambda, MiB (CPU scales with it; uploads hash at its speed).
   * @default 1024
   */
  readonly functionMemoryMiB?: number;
  /**
   * X-Ray tracing on the Lambdas and the API stage.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Least severe log lines the Lambdas and the upload service write (setting logLevel,
   * src/config/settings.ts): `info` adds one access line per request; `warn` keeps failures only.
   * @default 'info'
   */
  readonly logLevel?: SettingValue<'logLevel'>;
  /**
   * Pull methods (and the ping) use a Lambda REQUEST authorizer (lambdas/anonymous-pull-
   * authorizer.ts) instead of the Cognito authorizer, so that the anonymous token the token
   * endpoint gives callers without credentials is accepted there. It verifies Cognito tokens as
   * the Cognito authorizer does; the repositories anyone may pull are the policy's
   * `anonymous.pull` patterns (see `policy`), enforced by the registry Lambdas.
   * @default false
   */
  readonly anonymousPull?: boolean;
  /**
   * IAM login (`stowage login --registry URL | docker login --username AWS --password-stdin`):
   * CodeBuild, CI and people log in with their AWS IAM identity instead of a Cognito secret.
   * Who may, and where, is the policy's `principals.iam` ARN patterns. Adds a KMS key ($1 a
   * month) that signs the registry's own short-lived tokens, and puts every registry method
   * behind the Lambda REQUEST authorizer (lambdas/anonymous-pull-authorizer.ts), which accepts
   * these tokens as well as Cognito's (API Gateway's Cognito authorizer accepts only Cognito's).
   * @default false
   */
  readonly iamLogin?: boolean;
  /**
   * The authorization policy (the YAML subset or JSON of README "Authentication"): which users,
   * groups and machine clients may pull, push, delete and list which repositories, and which
   * repositories anyone may pull (with `anonymousPull`). Validated at synthesis and carried in
   * each function's environment, so it must stay small (at most 2048 bytes as compact JSON); a
   * change takes effect with the next deploy, everywhere at once.
   * @default - every authenticated user and machine client may do everything; nobody anonymous
   */
  readonly policy?: string;
  /**
   * Per-repository settings, first match wins (README "Tag immutability and lifecycle policies"):
   * tag mutability (MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION with
   * wildcard exclusions) and Amazon ECR lifecycle policy documents, by repository pattern. The
   * same schema as the config file's `repositories:` list; validated at synthesis (a bad entry
   * fails `cdk synth` naming its field) and carried in the functions' environment as JSON, so it
   * must stay small (at most 1280 bytes as compact JSON).
   * @default - every repository MUTABLE, no lifecycle policy
   */
  readonly repositories?: readonly RepositorySettingsInput[];
  /**
   * App clients of the user pool, besides the construct's own two, whose access tokens the
   * registry accepts (machine clients added later, e.g. with fewer scopes). Tokens of any other
   * client are refused (403) even though the gateway's Cognito authorizer lets them through.
   * @default - none
   */
  readonly additionalClientIds?: readonly string[];
  /**
   * Identifier of the Cognito resource server whose scopes (`<id>/pull`, `/push`, `/delete`)
   * machine clients request: the cognito.resourceServer setting.
   * @default 'stowage'
   */
  readonly resourceServerIdentifier?: string;
  /**
   * Prefix of the Cognito domain that serves the OAuth2 token endpoint (client credentials).
   * Must be unique in the region.
   * @default - 'stowage-' + account + '-' + a hash of the construct path
   */
  readonly cognitoDomainPrefix?: string;
  /**
   * Steady-state requests per second the API stage accepts (API Gateway throttling, per
   * account and region shared with other APIs).
   * @default 1000
   */
  readonly throttleRateLimit?: number;
  /**
   * Burst the API stage accepts.
   * @default 2000
   */
  readonly throttleBurstLimit?: number;
  /** The upload service. @default - on, 1 task (up to 4 under load) of 0.25 vCPU and 512 MiB on Fargate Spot */
  readonly uploadService?: UploadServiceProps;
  /**
   * Custom domain for the registry.
   * @default - the distribution's `*.cloudfront.net` name
   */
  readonly customDomain?: CustomDomainProps;
  /**
   * ARN of a WAF web ACL with CLOUDFRONT scope (created in us-east-1, e.g. with
   * `StowageWebAcl` in a us-east-1 stack) to attach to the distribution.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * CloudFront price class.
   * @default cloudfront.PriceClass.PRICE_CLASS_100
   */
  readonly priceClass?: cloudfront.PriceClass;
  /**
   * SNS topic every alarm notifies (and tells when it is OK again).
   * @default - a topic the construct creates (subscribe with `alarmEmail`)
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * E-mail address subscribed to the alarm topic the construct creates (AWS sends a
   * confirmation mail first). Not with `alarmTopic`: subscribe to your own topic yourself.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Access logs: a log bucket (kept 90 days) receiving the blob bucket's server access logs,
   * CloudFront's standard logs and the upload load balancer's logs. Storage and requests are
   * billed per GB; the registry's own access lines (CloudWatch Logs) exist either way.
   * @default false
   */
  readonly accessLogs?: boolean;
  /**
   * The CloudWatch dashboard of the registry's per-operation metrics (requests, errors,
   * latency, bytes). $3 a month beyond the three dashboards CloudWatch gives each account free.
   * @default false
   */
  readonly dashboard?: boolean;
  /**
   * Reserved concurrency per function, by operation name (`getBlob`, `patchUpload`, ...) or
   * `token`: caps a function and guarantees it that much of the account's concurrency. New
   * accounts often have a concurrency quota of 10, which leaves nothing to reserve.
   * @default - no reservation (the account's unreserved pool)
   */
  readonly reservedConcurrency?: Readonly<Record<string, number>>;
  /**
   * Directory holding the Lambda entry points (`<operation>.ts`, `stream-events.ts`). For
   * forks and tests; the package's own `lambdas/` otherwise.
   * @default - `<package root>/lambdas`
   */
  readonly entryDirectory?: string;
  /**
   * The web console (issue 16): its built files (`npm run build` writes dist/ui/) in a private
   * S3 bucket, served at `/ui/*` of the front door (lib/console.ts).
   * @default true
   */
  readonly webConsole?: boolean;
}

/** Props with every default applied. */
export interface ResolvedProps {
  readonly maxNameDepth: number;
  readonly stageName: string;
  readonly serviceName: string | undefined;
  readonly s3Prefix: string;
  readonly encryptionKey: kms.IKey | undefined;
  readonly presignExpiresSeconds: number;
  readonly logRetention: logs.RetentionDays;
  readonly functionMemoryMiB: number;
  readonly tracing: boolean;
  readonly logLevel: SettingValue<'logLevel'>;
  readonly anonymousPull: boolean;
  readonly iamLogin: boolean;
  readonly webConsole: boolean;
  /** The policy as compact JSON; undefined: the default policy. */
  readonly policyDocument: string | undefined;
  /** The repositories setting as compact JSON; undefined: none. */
  readonly repositoriesDocument: string | undefined;
  /** Whether the policy lets anyone pull anything. */
  readonly policyHasAnonymousPull: boolean;
  readonly additionalClientIds: readonly string[];
  readonly resourceServerIdentifier: string;
  readonly cognitoDomainPrefix: string | undefined;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly uploadService: Required<Pick<UploadServiceProps, 'enabled' | 'desiredCount' | 'maxCount' | 'spot' | 'cpu' | 'memoryMiB' | 'natGateways'>> &
    Pick<UploadServiceProps, 'vpc' | 'originCertificate' | 'image'>;
  readonly customDomain: CustomDomainProps | undefined;
  readonly webAclArn: string | undefined;
  readonly priceClass: cloudfront.PriceClass | undefined;
  readonly alarmTopic: sns.ITopic | undefined;
  readonly alarmEmail: string | undefined;
  readonly accessLogs: boolean;
  readonly dashboard: boolean;
  readonly reservedConcurrency: Readonly<Record<string, number>>;
  readonly entryDirectory: string | undefined;
}

/** Fargate's valid memory sizes (MiB) per CPU value. */
const FARGATE_MEMORY: Record<number, (m: number) => boolean> = {
  256: (m) => [512, 1024, 2048].includes(m),
  512: (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  1024: (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  2048: (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  4096: (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
  8192: (m) => m >= 16384 && m <= 61440 && m % 4096 === 0,
  16384: (m) => m >= 32768 && m <= 122880 && m % 8192 === 0,
};

const isInt = (n: number) => Number.isSafeInteger(n);

/** The largest policy (compact JSON) the functions' environment carries: Lambda allows 4 KB of environment per function. */
export const MAX_POLICY_BYTES = 2048;

/** The policy text as compact JSON and whether it has anonymous pulls; a problem string when it is invalid. */
export function policyDocumentOf(text: string): { json: string; anonymousPull: boolean } | string {
  let doc: unknown;
  try {
    doc = readPolicyDocument(text);
    Policy.fromDocument(doc);
  } catch (err) {
    return `policy: ${(err as Error).message}`;
  }
  const json = JSON.stringify(doc);
  if (Buffer.byteLength(json) > MAX_POLICY_BYTES)
    return `policy: ${Buffer.byteLength(json)} bytes as JSON, over the ${MAX_POLICY_BYTES} that fit in a Lambda environment; use patterns and groups rather than long lists`;
  const anonymous = (doc as { anonymous?: { pull?: unknown[] } }).anonymous;
  return { json, anonymousPull: (anonymous?.pull?.length ?? 0) > 0 };
}
/** The largest repositories setting (compact JSON) the functions' environment carries, beside the policy. */
export const MAX_REPOSITORIES_BYTES = 1280;

/** The repositories prop as compact JSON, checked by the registry's own schema; problems name the field. */
function repositoriesDocumentOf(list: readonly RepositorySettingsInput[] | undefined, problems: string[]): string | undefined {
  if (list === undefined) return undefined;
  const checked = RepositorySettings.check(list);
  if (!checked.ok) {
    problems.push(...checked.problems);
    return undefined;
  }
  const json = JSON.stringify(list);
  if (Buffer.byteLength(json) > MAX_REPOSITORIES_BYTES) {
    problems.push(`repositories: ${Buffer.byteLength(json)} bytes as JSON, over the ${MAX_REPOSITORIES_BYTES} that fit in a Lambda environment; use fewer, broader patterns`);
  }
  return json;
}
const known = (s: string | undefined): s is string => s !== undefined && !Token.isUnresolved(s);

/** Applies defaults and checks every prop; throws one Error naming every problem. */
export function resolveProps(props: StowageRegistryProps = {}): ResolvedProps {
  const problems: string[] = [];
  const need = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };

  const upload = props.uploadService ?? {};
  const policy = props.policy === undefined ? undefined : policyDocumentOf(props.policy);
  if (typeof policy === 'string') problems.push(policy);
  const resolved: ResolvedProps = {
    maxNameDepth: props.maxNameDepth ?? 5,
    stageName: props.stageName ?? 'registry',
    serviceName: props.serviceName,
    s3Prefix: props.s3Prefix ?? SETTINGS.s3Prefix.default,
    encryptionKey: props.encryptionKey,
    presignExpiresSeconds: props.presignExpiresSeconds ?? SETTINGS.s3PresignExpires.default,
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    functionMemoryMiB: props.functionMemoryMiB ?? 1024,
    tracing: props.tracing ?? false,
    logLevel: props.logLevel ?? SETTINGS.logLevel.default,
    anonymousPull: props.anonymousPull ?? false,
    iamLogin: props.iamLogin ?? false,
    webConsole: props.webConsole ?? true,
    policyDocument: typeof policy === 'object' ? policy.json : undefined,
    repositoriesDocument: repositoriesDocumentOf(props.repositories, problems),
    policyHasAnonymousPull: typeof policy === 'object' && policy.anonymousPull,
    additionalClientIds: props.additionalClientIds ?? [],
    resourceServerIdentifier: props.resourceServerIdentifier ?? SETTINGS['cognito.resourceServer'].default,
    cognitoDomainPrefix: props.cognitoDomainPrefix,
    throttleRateLimit: props.throttleRateLimit ?? 1000,
    throttleBurstLimit: props.throttleBurstLimit ?? 2000,
    uploadService: {
      enabled: upload.enabled ?? true,
      desiredCount: upload.desiredCount ?? 1,
      maxCount: upload.maxCount ?? 4,
      spot: upload.spot ?? true,
      cpu: upload.cpu ?? 256,
      memoryMiB: upload.memoryMiB ?? 512,
      natGateways: upload.natGateways ?? 0,
      ...(upload.vpc && { vpc: upload.vpc }),
      ...(upload.originCertificate && { originCertificate: upload.originCertificate }),
      ...(upload.image && { image: upload.image }),
    },
    customDomain: props.customDomain,
    webAclArn: props.webAclArn,
    priceClass: props.priceClass,
    alarmTopic: props.alarmTopic,
    alarmEmail: props.alarmEmail,
    accessLogs: props.accessLogs ?? false,
    dashboard: props.dashboard ?? false,
    reservedConcurrency: props.reservedConcurrency ?? {},
    entryDirectory: props.entryDirectory,
  };
  const r = resolved;

  need(
    isInt(r.maxNameDepth) && r.maxNameDepth >= 1 && r.maxNameDepth <= MAX_NAME_DEPTH_LIMIT,
    `maxNameDepth must be an integer from 1 to ${MAX_NAME_DEPTH_LIMIT} (got ${r.maxNameDepth})`,
  );
  need(/^[A-Za-z0-9_]{1,128}$/.test(r.stageName), `stageName must be letters, digits and underscores (got "${r.stageName}")`);
  if (known(r.serviceName))
    need(/^[A-Za-z0-9][A-Za-z0-9.:_-]{0,252}$/.test(r.serviceName), `serviceName must be a host-like name without quotes or spaces (got "${r.serviceName}")`);
  if (known(r.s3Prefix)) {
    need(
      r.s3Prefix === '' || /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/.test(r.s3Prefix),
      `s3Prefix must be empty or segments ending in "/", without a leading "/" (got "${r.s3Prefix}")`,
    );
  }
  need(checkSetting(SETTINGS.s3PresignExpires, r.presignExpiresSeconds).ok, `presignExpiresSeconds must be ${SETTINGS.s3PresignExpires.allowed} (got ${r.presignExpiresSeconds})`);
  need(checkSetting(SETTINGS.logLevel, r.logLevel).ok, `logLevel must be ${SETTINGS.logLevel.allowed}`);
  need(Object.values(logs.RetentionDays).includes(r.logRetention) && r.logRetention !== logs.RetentionDays.INFINITE, 'logRetention must be a finite logs.RetentionDays value');
  need(
    isInt(r.functionMemoryMiB) && r.functionMemoryMiB >= 256 && r.functionMemoryMiB <= 10_240,
    `functionMemoryMiB must be an integer from 256 to 10240 (got ${r.functionMemoryMiB})`,
  );
  need(
    /^[A-Za-z0-9._~:/-]{1,256}$/.test(r.resourceServerIdentifier) && !r.resourceServerIdentifier.includes('/'),
    `resourceServerIdentifier must be 1-256 of [A-Za-z0-9._~:-] (got "${r.resourceServerIdentifier}")`,
  );
  if (known(r.cognitoDomainPrefix)) {
    need(
      /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(r.cognitoDomainPrefix) && !/aws|amazon|cognito/.test(r.cognitoDomainPrefix),
      `cognitoDomainPrefix must be lower-case letters, digits and hyphens, at most 63, without "aws", "amazon" or "cognito" (got "${r.cognitoDomainPrefix}")`,
    );
  }
  for (const id of r.additionalClientIds) if (known(id)) need(/^[A-Za-z0-9_+]{1,128}$/.test(id), `additionalClientIds: "${id}" is not an app client id`);
  need(isInt(r.throttleRateLimit) && r.throttleRateLimit >= 1, `throttleRateLimit must be a positive integer (got ${r.throttleRateLimit})`);
  need(
    isInt(r.throttleBurstLimit) && r.throttleBurstLimit >= 1 && r.throttleBurstLimit <= 5000,
    `throttleBurstLimit must be an integer from 1 to 5000 (got ${r.throttleBurstLimit})`,
  );

  const u = r.uploadService;
  need(isInt(u.desiredCount) && u.desiredCount >= 1 && u.desiredCount <= 100, `uploadService.desiredCount must be an integer from 1 to 100 (got ${u.desiredCount})`);
  need(
    isInt(u.maxCount) && u.maxCount >= u.desiredCount && u.maxCount <= 100,
    `uploadService.maxCount must be an integer from desiredCount (${u.desiredCount}) to 100 (got ${u.maxCount})`,
  );
  const memoryOk = FARGATE_MEMORY[u.cpu];
  need(memoryOk !== undefined, `uploadService.cpu must be one of ${Object.keys(FARGATE_MEMORY).join(', ')} (got ${u.cpu})`);
  if (memoryOk) need(memoryOk(u.memoryMiB), `uploadService.memoryMiB ${u.memoryMiB} is not a Fargate size for ${u.cpu} CPU units`);
  need(isInt(u.natGateways) && u.natGateways >= 0 && u.natGateways <= 3, `uploadService.natGateways must be 0 to 3 (got ${u.natGateways})`);
  need(!(u.vpc && upload.natGateways !== undefined), 'uploadService.natGateways applies only to the VPC the construct creates; leave it out with uploadService.vpc');
  if (!u.enabled) {
    need(
      !upload.vpc && !upload.originCertificate && !upload.image && upload.natGateways === undefined,
      'uploadService.vpc, natGateways, originCertificate and image need uploadService.enabled',
    );
  }

  const d = r.customDomain;
  if (d) {
    need(d.domainNames.length >= 1, 'customDomain.domainNames must name at least one host');
    for (const name of d.domainNames) {
      if (known(name))
        need(
          /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/.test(name),
          `customDomain.domainNames: "${name}" is not a lower-case host name`,
        );
    }
    const arn = d.certificate.certificateArn;
    if (known(arn)) need(arn.split(':')[3] === 'us-east-1', `customDomain.certificate must be in us-east-1 for CloudFront (got ${arn})`);
  }
  if (u.originCertificate && !d) problems.push('uploadService.originCertificate needs customDomain (the certificate must name the public host)');
  if (known(r.webAclArn)) {
    need(
      /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[^/]+\/[^/]+$/.test(r.webAclArn),
      `webAclArn must be a CLOUDFRONT-scope WAFv2 web ACL ARN in us-east-1 (…:global/webacl/NAME/ID), got ${r.webAclArn}`,
    );
  }

  if (known(r.alarmEmail)) need(/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(r.alarmEmail), `alarmEmail must be an e-mail address (got "${r.alarmEmail}")`);
  need(!(r.alarmEmail && r.alarmTopic), 'alarmEmail subscribes to the topic the construct creates; with alarmTopic, subscribe to your topic yourself');
  const operations = [...new Set(ROUTES.map((route) => route.operation as string))];
  for (const [name, n] of Object.entries(r.reservedConcurrency)) {
    need(name === 'token' || operations.includes(name), `reservedConcurrency: "${name}" is not an operation (${operations.join(', ')}) or token`);
    need(isInt(n) && n >= 0 && n <= 10_000, `reservedConcurrency.${name} must be an integer from 0 to 10000 (got ${n})`);
  }

  if (problems.length > 0) throw new Error(`StowageRegistry: invalid props:\n  - ${problems.join('\n  - ')}`);
  return resolved;
}
