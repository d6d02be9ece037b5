/**
 * Every runtime setting of Stowage, declared once: its key (the config file's key path), its
 * environment variable, its `stowage serve` flag, its type and allowed values (a zod schema),
 * its default and what it does. Everything else is derived from this table: the CLI's flags,
 * config file and usage text (src/cli/), the Lambda environment readers
 * (src/shells/lambda/config.ts, src/adapters/aws/cognito-config.ts), the environments the CDK
 * stack writes (lib/), and the README's settings table (`npm run docs:settings`).
 *
 * No STOWAGE_* name is written anywhere else but in ./setting-env.ts, which names the few
 * settings the ping Lambda reads without this table (test/unit/settings-names.test.ts checks it).
 *
 * Imported by every Lambda but the ping: no node-only imports here, and zod/mini (tree-shakable,
 * about 20 KB minified for what this table uses) rather than the full zod.
 */
import * as z from 'zod/mini';
import { DURATION_FORMAT, parseDuration } from './duration.js';
import { AUTH_ENV, AUTH_MODES, CLIENT_ADDRESS_HEADER_ENV, LOG_LEVEL_ENV, LOG_LEVELS } from './setting-env.js';

export { LOG_LEVELS };

/** How a value is written in a flag or environment variable (always text) and in a config file. */
export type SettingKind = 'text' | 'path' | 'integer' | 'boolean' | 'choice' | 'list';

/** Groups of the usage text and the README table. */
export type SettingGroup = 'server' | 'storage' | 'events' | 'auth' | 'cognito';

export interface Setting<T = unknown> {
  /** Key path in a config file; a dot separates a section (`cognito.userPoolId`). */
  readonly key: string;
  readonly env: string;
  /** The `stowage serve` flag, without `--`; none for settings only the environment or a file sets. */
  readonly flag?: string;
  /** The flag's placeholder in the usage text (`PORT`). */
  readonly flagArg?: string;
  /** A repeatable flag (`--webhook A --webhook B`). */
  readonly repeatable?: boolean;
  readonly kind: SettingKind;
  readonly schema: z.ZodMiniType<T>;
  /** What the schema admits, in words, for error messages and docs. */
  readonly allowed: string;
  readonly default?: T;
  /** The default in words when it is computed from other settings or lives elsewhere. */
  readonly defaultText?: string;
  readonly description: string;
  readonly group: SettingGroup;
}

/** A setting's type; its schema is built on first use (./settings.ts is imported by every Lambda, which reads a few settings). */
interface Type<T> {
  kind: SettingKind;
  schema: () => z.ZodMiniType<T>;
  allowed: string;
}

const text = (allowed = 'a non-empty string', check?: () => z.core.$ZodCheck<string>): Type<string> => ({
  kind: 'text',
  schema: () => z.string().check(z.minLength(1), ...(check ? [check()] : [])),
  allowed,
});
const path: Type<string> = { kind: 'path', schema: () => z.string().check(z.minLength(1)), allowed: 'a file or directory path' };
const integer = (min: number, max: number): Type<number> => ({
  kind: 'integer',
  schema: () => z.int().check(z.gte(min), z.lte(max)),
  allowed: `an integer from ${min} to ${max}`,
});
const boolean: Type<boolean> = { kind: 'boolean', schema: () => z.boolean(), allowed: 'true or false (also 1/0, yes/no, on/off)' };
const choice = <const V extends readonly [string, ...string[]]>(values: V): Type<V[number]> => ({
  kind: 'choice',
  schema: () => z.enum(values) as unknown as z.ZodMiniType<V[number]>,
  allowed: `one of ${values.join(', ')}`,
});
const list = <T>(item: Type<T>, allowed: string): Type<T[]> => ({ kind: 'list', schema: () => z.array(item.schema()), allowed });
const httpUrl: Type<string> = { kind: 'text', schema: () => z.url({ protocol: /^https?$/ }), allowed: 'an http or https URL' };
/** Seconds, written `30` or `30s` (a config file may also give the number). */
const seconds = (max: number): Type<number> => ({
  kind: 'text',
  schema: () =>
    z.pipe(
      z.pipe(
        z.union([z.number(), z.string().check(z.regex(/^\s*\d{1,6}(\.\d{1,3})?\s*s?\s*$/))]),
        z.transform((v: number | string) => (typeof v === 'number' ? v : Number.parseFloat(v))),
      ),
      z.number().check(z.gte(0), z.lte(max)),
    ) as unknown as z.ZodMiniType<number>,
  allowed: `a duration in seconds from 0 to ${max} (30 or 30s)`,
});
/** A duration (`90m`, `24h`, `0s`; a bare number is seconds), held as seconds. */
const duration = (maxSeconds: number): Type<number> => ({
  kind: 'text',
  schema: () =>
    z.pipe(
      z.pipe(
        z.union([z.number(), z.string().check(z.refine((v) => parseDuration(v) !== null))]),
        z.transform((v: number | string) => (typeof v === 'number' ? v : (parseDuration(v) as number) / 1000)),
      ),
      z.number().check(z.gte(0), z.lte(maxSeconds)),
    ) as unknown as z.ZodMiniType<number>,
  allowed: `${DURATION_FORMAT}, at most ${maxSeconds / 86_400} days`,
});
const headerName = text('a header name (letters, digits and hyphens, at most 100)', () => z.regex(/^[A-Za-z0-9-]{1,100}$/));
const clientId = text('an app client id (letters, digits, _ and +, at most 128)', () => z.regex(/^[A-Za-z0-9_+]{1,128}$/));

/** A Cognito user pool id: `<region>_<id>` (`local_<id>` for cognito-local); group 1 is the region. */
export const USER_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+|local)_[A-Za-z0-9]+$/;

export const EVENT_SINKS = ['log', 'webhook', 'eventbridge'] as const;

/** `HOST:PORT` of a listener: a name or IPv4 address, or an IPv6 address in brackets; group 1 the host, 2 the port. */
export const LISTEN_ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

type Spec<T> = Omit<Setting<T>, keyof Type<T> | 'default'> & { type: Type<T> };

/** A setting from its declaration; one with a default is typed so that its default is never undefined. */
function setting<T>(s: Spec<T> & { default: NoInfer<T> }): Setting<T> & { readonly default: T };
function setting<T>(s: Spec<T>): Setting<T>;
function setting<T>(s: Spec<T> & { default?: T }): Setting<T> {
  const { type, ...rest } = s;
  let schema: z.ZodMiniType<T> | undefined;
  return {
    ...rest,
    kind: type.kind,
    allowed: type.allowed,
    get schema() {
      if (!schema) schema = type.schema();
      return schema;
    },
  };
}

/** The settings by key. Property names are the config file's key paths. */
export const SETTINGS = {
  host: setting({
    key: 'host',
    env: 'STOWAGE_HOST',
    flag: 'host',
    flagArg: 'HOST',
    type: text(),
    default: '127.0.0.1',
    group: 'server',
    description: 'address to listen on; beyond loopback it needs auth local or cognito (or insecureNoAuth)',
  }),
  port: setting({ key: 'port', env: 'STOWAGE_PORT', flag: 'port', flagArg: 'PORT', type: integer(0, 65535), default: 5000, group: 'server', description: 'port to listen on' }),
  dataDir: setting({
    key: 'dataDir',
    env: 'STOWAGE_DATA_DIR',
    flag: 'data-dir',
    flagArg: 'DIR',
    type: path,
    default: './data',
    group: 'server',
    description: 'embedded data: blobs, SQLite, event and audit logs, local users',
  }),
  clientAddressHeader: setting({
    key: 'clientAddressHeader',
    env: CLIENT_ADDRESS_HEADER_ENV,
    flag: 'client-address-header',
    flagArg: 'H',
    type: headerName,
    defaultText: 'the socket address',
    group: 'server',
    description: 'header a trusted proxy (the front door) sets to the client address, for rate limits and audit',
  }),
  publicHostHeader: setting({
    key: 'publicHostHeader',
    env: 'STOWAGE_PUBLIC_HOST_HEADER',
    type: headerName,
    default: 'host',
    group: 'server',
    description: 'header the front door sets to the host the client used (token Lambda)',
  }),

  storage: setting({
    key: 'storage',
    env: 'STOWAGE_STORAGE',
    flag: 'storage',
    flagArg: 'fs|s3',
    type: choice(['fs', 's3']),
    default: 'fs',
    group: 'storage',
    description: 'where blob bytes live',
  }),
  s3Bucket: setting({
    key: 's3Bucket',
    env: 'STOWAGE_S3_BUCKET',
    flag: 's3-bucket',
    flagArg: 'NAME',
    type: text(),
    group: 'storage',
    description: 'S3 bucket of blobs and large manifests (required with storage s3, metadata dynamodb and in Lambdas)',
  }),
  s3Prefix: setting({
    key: 's3Prefix',
    env: 'STOWAGE_S3_PREFIX',
    flag: 's3-prefix',
    flagArg: 'PREFIX',
    type: { ...text('a key prefix'), schema: () => z.string() },
    default: '',
    group: 'storage',
    description: 'key prefix inside the bucket',
  }),
  s3ForcePathStyle: setting({
    key: 's3ForcePathStyle',
    env: 'STOWAGE_S3_FORCE_PATH_STYLE',
    flag: 's3-force-path-style',
    type: boolean,
    default: false,
    group: 'storage',
    description: 'path-style S3 URLs, for S3-compatible stores and emulators',
  }),
  s3ServeBlobs: setting({
    key: 's3ServeBlobs',
    env: 'STOWAGE_S3_SERVE_BLOBS',
    flag: 's3-serve-blobs',
    flagArg: 'MODE',
    type: choice(['redirect', 'stream']),
    default: 'redirect',
    group: 'storage',
    description: 'redirect (307 to a presigned URL) or stream through the server, for stores clients cannot reach',
  }),
  s3BlobRedirects: setting({
    key: 's3BlobRedirects',
    env: 'STOWAGE_S3_BLOB_REDIRECTS',
    flag: 's3-blob-redirects',
    flagArg: 'TO',
    type: choice(['store', 'same-host']),
    default: 'store',
    group: 'storage',
    description:
      "where blob redirects point: store (the presigned URL at the S3 endpoint) or same-host (the same presigned URL as a path on the registry's own host, for a front door that serves the bucket's content keys and adds Docker-Content-Digest: the serverless stack)",
  }),
  s3PresignExpires: setting({
    key: 's3PresignExpires',
    env: 'STOWAGE_S3_PRESIGN_EXPIRES',
    flag: 's3-presign-expires',
    flagArg: 'S',
    type: integer(1, 7 * 24 * 3600),
    default: 900,
    group: 'storage',
    description: 'lifetime of presigned blob URLs, seconds',
  }),
  metadata: setting({
    key: 'metadata',
    env: 'STOWAGE_METADATA',
    flag: 'metadata',
    flagArg: 'sqlite|dynamodb',
    type: choice(['sqlite', 'dynamodb']),
    default: 'sqlite',
    group: 'storage',
    description: 'where manifests, tags and upload sessions live',
  }),
  dynamodbTable: setting({
    key: 'dynamodbTable',
    env: 'STOWAGE_DYNAMODB_TABLE',
    flag: 'dynamodb-table',
    flagArg: 'NAME',
    type: text('a table name of at least 3 characters', () => z.minLength(3)),
    group: 'storage',
    description: 'DynamoDB table (required with metadata dynamodb and in Lambdas; layout: docs/dynamodb-table.md)',
  }),
  createResources: setting({
    key: 'createResources',
    env: 'STOWAGE_CREATE_RESOURCES',
    flag: 'create-resources',
    type: boolean,
    default: false,
    group: 'storage',
    description: 'create the bucket and table when absent (emulators, development)',
  }),

  events: setting({
    key: 'events',
    env: 'STOWAGE_EVENTS',
    flag: 'events',
    flagArg: 'LIST',
    type: list(choice(EVENT_SINKS), `a list of ${EVENT_SINKS.join(', ')}`),
    defaultText: 'log, plus webhook when webhooks are given',
    group: 'events',
    description: 'event sinks, comma-separated (docs/events.md)',
  }),
  webhooks: setting({
    key: 'webhooks',
    env: 'STOWAGE_WEBHOOKS',
    flag: 'webhook',
    flagArg: 'URL',
    repeatable: true,
    type: list(httpUrl, 'a list of http or https URLs'),
    default: [],
    group: 'events',
    description: 'POST every event as JSON to these URLs (flag repeatable, variable comma-separated)',
  }),
  webhookSecret: setting({
    key: 'webhookSecret',
    env: 'STOWAGE_WEBHOOK_SECRET',
    flag: 'webhook-secret',
    flagArg: 'KEY',
    type: text(),
    group: 'events',
    description: 'sign every webhook delivery: X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body> (prefer the variable: flags show in ps)',
  }),
  webhookMaxAttempts: setting({
    key: 'webhookMaxAttempts',
    env: 'STOWAGE_WEBHOOK_MAX_ATTEMPTS',
    flag: 'webhook-max-attempts',
    flagArg: 'N',
    type: integer(1, 1000),
    default: 12,
    group: 'events',
    description: 'attempts per webhook delivery before it joins the dead-letter list (stowage check lists it)',
  }),
  webhookRetryBase: setting({
    key: 'webhookRetryBase',
    env: 'STOWAGE_WEBHOOK_RETRY_BASE',
    flag: 'webhook-retry-base',
    flagArg: 'SECONDS',
    type: seconds(3600),
    default: 2,
    group: 'events',
    description: 'delay before the first webhook retry; each later retry waits twice as long (at most 10 minutes)',
  }),
  eventBus: setting({
    key: 'eventBus',
    env: 'STOWAGE_EVENT_BUS',
    flag: 'event-bus',
    flagArg: 'NAME',
    type: text(),
    group: 'events',
    description: 'EventBridge bus (required with the eventbridge sink and in the stream consumer)',
  }),
  eventDetailType: setting({
    key: 'eventDetailType',
    env: 'STOWAGE_EVENT_DETAIL_TYPE',
    flag: 'event-detail-type',
    flagArg: 'T',
    type: text(),
    group: 'events',
    description: 'EventBridge detail-type',
  }),

  auth: setting({
    key: 'auth',
    env: AUTH_ENV,
    flag: 'auth',
    flagArg: 'none|local|cognito',
    type: choice(AUTH_MODES),
    default: 'none',
    group: 'auth',
    description: 'none (loopback only), local users (`stowage user add`) and signed tokens, or an Amazon Cognito user pool (the cognito settings)',
  }),
  policyFile: setting({
    key: 'policyFile',
    env: 'STOWAGE_POLICY',
    flag: 'policy',
    flagArg: 'FILE',
    type: path,
    defaultText: 'every authenticated user may do everything',
    group: 'auth',
    description: 'who may pull, push, delete and list where (YAML or JSON file)',
  }),
  repositories: setting({
    key: 'repositories',
    env: 'STOWAGE_REPOSITORIES',
    type: {
      kind: 'text',
      schema: () => z.union([z.string().check(z.minLength(1)), z.array(z.unknown())]) as unknown as z.ZodMiniType<string | unknown[]>,
      allowed: 'a list of repository settings (JSON text in the environment)',
    },
    defaultText: 'every repository MUTABLE, no lifecycle policy',
    group: 'storage',
    description:
      'per-repository settings, first match wins: `match` (repository pattern), `tagMutability` (MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION), `tagMutabilityExclusions` (wildcard filters), `lifecyclePolicy` (an Amazon ECR lifecycle policy document); a list in the config file, JSON in the environment (the stack sets it from its `repositories` prop)',
  }),
  policyDocument: setting({
    key: 'policyDocument',
    env: 'STOWAGE_POLICY_DOCUMENT',
    type: text('a policy as JSON or YAML'),
    defaultText: 'every authenticated user may do everything',
    group: 'auth',
    description: 'the policy inline, with auth cognito (the stack sets it in Lambdas and the upload service)',
  }),
  tokenTtl: setting({
    key: 'tokenTtl',
    env: 'STOWAGE_TOKEN_TTL',
    flag: 'token-ttl',
    flagArg: 'SECONDS',
    type: integer(60, 24 * 3600),
    default: 300,
    group: 'auth',
    description: 'lifetime of the tokens /token issues, seconds',
  }),
  service: setting({
    key: 'service',
    env: 'STOWAGE_SERVICE',
    flag: 'service',
    flagArg: 'NAME',
    type: text('a name of 1 to 255 characters', () => z.maxLength(255)),
    defaultText: 'HOST:PORT (Lambda: the public host)',
    group: 'auth',
    description: 'token audience and challenge service',
  }),
  realm: setting({
    key: 'realm',
    env: 'STOWAGE_REALM',
    flag: 'realm',
    flagArg: 'URL',
    type: httpUrl,
    defaultText: 'http://HOST:PORT/token',
    group: 'auth',
    description: 'token endpoint URL clients are sent to; the public URL behind a proxy',
  }),
  insecureNoAuth: setting({
    key: 'insecureNoAuth',
    env: 'STOWAGE_INSECURE_NO_AUTH',
    flag: 'insecure-no-auth',
    type: boolean,
    default: false,
    group: 'auth',
    description: 'allow auth none on an address beyond loopback (behind an authenticating proxy)',
  }),

  // IAM login (issue 14, item 4): `stowage login` on the AWS deployment.
  'iamLogin.keyId': setting({
    key: 'iamLogin.keyId',
    env: 'STOWAGE_IAM_LOGIN_KEY_ID',
    type: text('a KMS key id or ARN'),
    defaultText: 'IAM login off',
    group: 'auth',
    description:
      'the KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY) that signs the tokens the registry mints for IAM logins (`stowage login`); set: IAM login is on (the stack sets it with its iamLogin prop); the AWS deployment only',
  }),
  'iamLogin.stsEndpoint': setting({
    key: 'iamLogin.stsEndpoint',
    env: 'STOWAGE_IAM_LOGIN_STS_ENDPOINT',
    type: httpUrl,
    defaultText: 'the STS host the signed request names',
    group: 'auth',
    description:
      'where the token endpoint sends the signed sts:GetCallerIdentity requests of IAM logins (a loopback fake in tests, a VPC endpoint); the request must still be signed for sts.amazonaws.com or sts.<region>.amazonaws.com',
  }),
  'iamLogin.passwordTtl': setting({
    key: 'iamLogin.passwordTtl',
    env: 'STOWAGE_IAM_LOGIN_PASSWORD_TTL',
    type: integer(900, 12 * 3600),
    default: 12 * 3600,
    group: 'auth',
    description: 'lifetime of the registry password `stowage login` prints (docker logs in with it), seconds; 12 hours as with ECR',
  }),

  'cognito.userPoolId': setting({
    key: 'cognito.userPoolId',
    env: 'STOWAGE_COGNITO_USER_POOL_ID',
    type: text('a user pool id, <region>_<id>', () => z.regex(USER_POOL_ID)),
    group: 'cognito',
    description: 'the user pool (required with auth cognito)',
  }),
  'cognito.clientIds': setting({
    key: 'cognito.clientIds',
    env: 'STOWAGE_COGNITO_CLIENT_IDS',
    type: list(clientId, 'a list of app client ids'),
    group: 'cognito',
    description: 'app clients whose access tokens are accepted, comma-separated (required; the user client is added)',
  }),
  'cognito.userClientId': setting({
    key: 'cognito.userClientId',
    env: 'STOWAGE_COGNITO_USER_CLIENT_ID',
    type: clientId,
    group: 'cognito',
    description: "the people's app client, for their logins at /token (USER_PASSWORD_AUTH, no secret)",
  }),
  'cognito.oauthTokenUrl': setting({
    key: 'cognito.oauthTokenUrl',
    env: 'STOWAGE_COGNITO_OAUTH_TOKEN_URL',
    type: httpUrl,
    group: 'cognito',
    description: "the pool domain's /oauth2/token, for machine clients (token endpoint)",
  }),
  'cognito.resourceServer': setting({
    key: 'cognito.resourceServer',
    env: 'STOWAGE_COGNITO_RESOURCE_SERVER',
    type: text(),
    default: 'stowage',
    group: 'cognito',
    description: 'resource server identifier of the scopes (`<id>/pull`, `/push`, `/delete`)',
  }),
  'cognito.region': setting({
    key: 'cognito.region',
    env: 'STOWAGE_COGNITO_REGION',
    type: text(),
    defaultText: "the pool id's region",
    group: 'cognito',
    description: 'region of the user pool',
  }),
  'cognito.issuer': setting({
    key: 'cognito.issuer',
    env: 'STOWAGE_COGNITO_ISSUER',
    type: httpUrl,
    defaultText: "Cognito's issuer of the pool",
    group: 'cognito',
    description: 'token issuer override, for emulators',
  }),
  'cognito.jwksUri': setting({
    key: 'cognito.jwksUri',
    env: 'STOWAGE_COGNITO_JWKS_URI',
    type: httpUrl,
    defaultText: '<issuer>/.well-known/jwks.json',
    group: 'cognito',
    description: 'key set override, for emulators (needs cognito.issuer)',
  }),

  // Logs and metrics (issue 11, items 1 and 2).
  logLevel: setting({
    key: 'logLevel',
    env: LOG_LEVEL_ENV,
    flag: 'log-level',
    flagArg: 'LEVEL',
    type: choice(LOG_LEVELS),
    default: 'info',
    group: 'server',
    description: 'least severe log lines written: error, warn, info (adds one access line per request) or debug (CDK prop logLevel for the Lambdas and the upload service)',
  }),
  metricsAddr: setting({
    key: 'metricsAddr',
    env: 'STOWAGE_METRICS_ADDR',
    flag: 'metrics-addr',
    flagArg: 'HOST:PORT',
    type: text('HOST:PORT (an IPv6 host in brackets)', () => z.regex(LISTEN_ADDRESS)),
    defaultText: '/metrics on the registry port',
    group: 'server',
    description: 'serve the Prometheus /metrics (no token) only on this separate address; keep it private',
  }),

  // authops (issue 11 item 6)
  htpasswdFile: setting({
    key: 'htpasswdFile',
    env: 'STOWAGE_HTPASSWD',
    flag: 'htpasswd',
    flagArg: 'FILE',
    type: path,
    defaultText: 'none',
    group: 'auth',
    description:
      'an Apache htpasswd file of bcrypt entries (htpasswd -B), with auth local: its users log in besides those of the users file, which wins on a name in both; re-read when it changes',
  }),

  // Lifecycle: graceful shutdown and TLS (issue 11 items 4 and 5).
  gcInterval: setting({
    key: 'gcInterval',
    env: 'STOWAGE_GC_INTERVAL',
    flag: 'gc-interval',
    flagArg: 'DURATION',
    type: duration(30 * 86_400),
    default: 3600,
    defaultText: '1h',
    group: 'storage',
    description: 'how often the server collects garbage (unreferenced blobs, abandoned uploads) while it runs; 0 turns it off',
  }),
  gcGrace: setting({
    key: 'gcGrace',
    env: 'STOWAGE_GC_GRACE',
    flag: 'gc-grace',
    flagArg: 'DURATION',
    type: duration(30 * 86_400),
    default: 3600,
    defaultText: '1h',
    group: 'storage',
    description: 'blobs uploaded, mounted or referenced by a push within this long are never collected; longer than any push takes',
  }),
  gcUploadTtl: setting({
    key: 'gcUploadTtl',
    env: 'STOWAGE_GC_UPLOAD_TTL',
    flag: 'gc-upload-ttl',
    flagArg: 'DURATION',
    type: duration(365 * 86_400),
    default: 86_400,
    defaultText: '24h',
    group: 'storage',
    description: 'upload sessions started longer ago than this are abandoned: the collector removes them and their data',
  }),
  shutdownTimeout: setting({
    key: 'shutdownTimeout',
    env: 'STOWAGE_SHUTDOWN_TIMEOUT',
    flag: 'shutdown-timeout',
    flagArg: 'SECONDS',
    type: seconds(3600),
    default: 30,
    group: 'server',
    description: 'on SIGTERM or SIGINT, how long requests in flight may run before they are cut (exit status 1 then)',
  }),
  tlsCert: setting({
    key: 'tlsCert',
    env: 'STOWAGE_TLS_CERT',
    flag: 'tls-cert',
    flagArg: 'FILE',
    type: path,
    defaultText: 'plain HTTP',
    group: 'server',
    description: 'serve HTTPS with this PEM certificate chain (with tlsKey); SIGHUP reloads both files',
  }),
  // The web console (issue 16).
  ui: setting({
    key: 'ui',
    env: 'STOWAGE_UI',
    flag: 'ui',
    type: boolean,
    default: true,
    group: 'server',
    description: "serve the web console at /ui/ (and redirect / to it); --no-ui turns it off. It uses only the registry API, with the signed-in user's token",
  }),
  tlsKey: setting({
    key: 'tlsKey',
    env: 'STOWAGE_TLS_KEY',
    flag: 'tls-key',
    flagArg: 'FILE',
    type: path,
    defaultText: 'plain HTTP',
    group: 'server',
    description: "the certificate's PEM private key (with tlsCert)",
  }),

  // Limits against slow or greedy clients (issue 12, item 2); the node server (stowage serve and
  // the upload service) enforces them in src/shells/http/client-limits.ts.
  headersTimeout: setting({
    key: 'headersTimeout',
    env: 'STOWAGE_HEADERS_TIMEOUT',
    flag: 'headers-timeout',
    flagArg: 'SECONDS',
    type: seconds(3600),
    default: 30,
    group: 'server',
    description: 'a request whose headers are not complete this long after they began is answered 408 and its connection closed; 0 turns it off',
  }),
  bodyIdleTimeout: setting({
    key: 'bodyIdleTimeout',
    env: 'STOWAGE_BODY_IDLE_TIMEOUT',
    flag: 'body-idle-timeout',
    flagArg: 'SECONDS',
    type: seconds(3600),
    default: 60,
    group: 'server',
    description: 'a request body that sends no byte for this long ends its request (408; an upload keeps what arrived and can resume) and frees its file; 0 turns it off',
  }),
  connectionsPerAddress: setting({
    key: 'connectionsPerAddress',
    env: 'STOWAGE_CONNECTIONS_PER_ADDRESS',
    flag: 'connections-per-address',
    flagArg: 'N',
    type: integer(0, 1_000_000),
    default: 256,
    group: 'server',
    description: 'open connections one client address may hold; more are answered 429 and closed (behind a proxy every client shares its address: raise this); 0: no cap',
  }),
  uploadsPerAddress: setting({
    key: 'uploadsPerAddress',
    env: 'STOWAGE_UPLOADS_PER_ADDRESS',
    flag: 'uploads-per-address',
    flagArg: 'N',
    type: integer(0, 1_000_000),
    default: 64,
    group: 'server',
    description:
      'requests with a body (blob chunks, manifests) one client address (the clientAddressHeader one when set) may send at once; more are answered 429 with Retry-After; 0: no cap',
  }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = (typeof SETTINGS)[K] extends Setting<infer T> ? T : never;

export const ALL_SETTINGS: readonly Setting[] = Object.values(SETTINGS) as Setting[];

/** How a setting is named in messages: its flag with its variable, or the variable alone. */
export function settingName(s: Setting): string {
  return s.flag ? `--${s.flag} (${s.env})` : s.env;
}

const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off)$/i;

/**
 * A flag's or variable's text as the value the schema checks: integers and booleans parsed,
 * lists split at commas. Text that is not of the kind stays text, so the schema refuses it.
 */
export function fromText(s: Setting, raw: string): unknown {
  switch (s.kind) {
    case 'integer':
      return /^-?\d{1,16}$/.test(raw.trim()) ? Number(raw) : raw;
    case 'boolean':
      return TRUE.test(raw) ? true : FALSE.test(raw) ? false : raw;
    case 'list':
      return raw
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
    default:
      return raw;
  }
}

/** A value written in an environment (CDK) for a setting. */
export function toText(value: string | number | boolean | readonly string[]): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  return Array.isArray(value) ? value.join(',') : String(value);
}

export type CheckResult<T> = { ok: true; value: T } | { ok: false; allowed: string };

/** Checks a value (already typed, or text through fromText) against the setting's schema. */
export function checkSetting<T>(s: Setting<T>, value: unknown): CheckResult<T> {
  const parsed = s.schema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, allowed: s.allowed };
}

/**
 * Reads one setting from an environment: undefined when unset or empty, else the checked value,
 * or a problem line naming the variable and what it admits.
 */
export function readEnv<T>(s: Setting<T>, env: Readonly<Record<string, string | undefined>>): { value: T | undefined; problem?: string } {
  const raw = env[s.env];
  if (raw === undefined || raw === '') return { value: s.default };
  const checked = checkSetting(s, fromText(s, raw));
  return checked.ok ? { value: checked.value } : { value: undefined, problem: `${s.env} must be ${checked.allowed}, not "${raw.slice(0, 60)}"` };
}

/** The environment that sets these settings to these values (the CDK stack's functions and tasks). */
export function settingsEnvironment(values: { readonly [K in SettingKey]?: string | number | boolean | readonly string[] | undefined }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) out[SETTINGS[key as SettingKey].env] = toText(value);
  }
  return out;
}
