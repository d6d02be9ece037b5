/**
 * The environment variable of every setting, and the few facts a Lambda needs to read one
 * without the settings table: the only file where a STOWAGE_* name is written
 * (test/unit/settings-names.test.ts checks it). ./settings.ts declares each setting from its key
 * here (type, default, flag, description) for the CLI, the README and the CDK.
 *
 * No imports, no zod: the ping Lambda (lambdas/ping.ts) reads its few settings through this module
 * alone, so its bundle carries neither zod nor the settings' descriptions (issue 9's 50 KB budget).
 * The other Lambdas read through ./env-reader.ts, with each setting's full check.
 */

// One constant per variable, so that a bundle keeps only the names it reads (the ping's: a few).
export const HOST_ENV = 'STOWAGE_HOST';
export const PORT_ENV = 'STOWAGE_PORT';
export const DATA_DIR_ENV = 'STOWAGE_DATA_DIR';
export const CLIENT_ADDRESS_HEADER_ENV = 'STOWAGE_CLIENT_ADDRESS_HEADER';
export const PUBLIC_HOST_HEADER_ENV = 'STOWAGE_PUBLIC_HOST_HEADER';
export const STORAGE_ENV = 'STOWAGE_STORAGE';
export const S3_BUCKET_ENV = 'STOWAGE_S3_BUCKET';
export const S3_PREFIX_ENV = 'STOWAGE_S3_PREFIX';
export const S3_FORCE_PATH_STYLE_ENV = 'STOWAGE_S3_FORCE_PATH_STYLE';
export const S3_SERVE_BLOBS_ENV = 'STOWAGE_S3_SERVE_BLOBS';
export const S3_PRESIGN_EXPIRES_ENV = 'STOWAGE_S3_PRESIGN_EXPIRES';
export const METADATA_ENV = 'STOWAGE_METADATA';
export const DYNAMODB_TABLE_ENV = 'STOWAGE_DYNAMODB_TABLE';
export const CREATE_RESOURCES_ENV = 'STOWAGE_CREATE_RESOURCES';
export const EVENTS_ENV = 'STOWAGE_EVENTS';
export const WEBHOOKS_ENV = 'STOWAGE_WEBHOOKS';
export const EVENT_BUS_ENV = 'STOWAGE_EVENT_BUS';
export const EVENT_DETAIL_TYPE_ENV = 'STOWAGE_EVENT_DETAIL_TYPE';
export const AUTH_ENV = 'STOWAGE_AUTH';
export const POLICY_ENV = 'STOWAGE_POLICY';
export const POLICY_DOCUMENT_ENV = 'STOWAGE_POLICY_DOCUMENT';
export const TOKEN_TTL_ENV = 'STOWAGE_TOKEN_TTL';
export const SERVICE_ENV = 'STOWAGE_SERVICE';
export const REALM_ENV = 'STOWAGE_REALM';
export const INSECURE_NO_AUTH_ENV = 'STOWAGE_INSECURE_NO_AUTH';
export const COGNITO_USER_POOL_ID_ENV = 'STOWAGE_COGNITO_USER_POOL_ID';
export const COGNITO_CLIENT_IDS_ENV = 'STOWAGE_COGNITO_CLIENT_IDS';
export const COGNITO_USER_CLIENT_ID_ENV = 'STOWAGE_COGNITO_USER_CLIENT_ID';
export const COGNITO_OAUTH_TOKEN_URL_ENV = 'STOWAGE_COGNITO_OAUTH_TOKEN_URL';
export const COGNITO_RESOURCE_SERVER_ENV = 'STOWAGE_COGNITO_RESOURCE_SERVER';
export const COGNITO_REGION_ENV = 'STOWAGE_COGNITO_REGION';
export const COGNITO_ISSUER_ENV = 'STOWAGE_COGNITO_ISSUER';
export const COGNITO_JWKS_URI_ENV = 'STOWAGE_COGNITO_JWKS_URI';
export const LOG_LEVEL_ENV = 'STOWAGE_LOG_LEVEL';
export const METRICS_ADDR_ENV = 'STOWAGE_METRICS_ADDR';
export const HTPASSWD_ENV = 'STOWAGE_HTPASSWD';
export const SHUTDOWN_TIMEOUT_ENV = 'STOWAGE_SHUTDOWN_TIMEOUT';
export const TLS_CERT_ENV = 'STOWAGE_TLS_CERT';
export const TLS_KEY_ENV = 'STOWAGE_TLS_KEY';

/** Each setting's environment variable, by the setting's key (its config file key path). */
export const SETTING_ENV = {
  host: HOST_ENV,
  port: PORT_ENV,
  dataDir: DATA_DIR_ENV,
  clientAddressHeader: CLIENT_ADDRESS_HEADER_ENV,
  publicHostHeader: PUBLIC_HOST_HEADER_ENV,
  storage: STORAGE_ENV,
  s3Bucket: S3_BUCKET_ENV,
  s3Prefix: S3_PREFIX_ENV,
  s3ForcePathStyle: S3_FORCE_PATH_STYLE_ENV,
  s3ServeBlobs: S3_SERVE_BLOBS_ENV,
  s3PresignExpires: S3_PRESIGN_EXPIRES_ENV,
  metadata: METADATA_ENV,
  dynamodbTable: DYNAMODB_TABLE_ENV,
  createResources: CREATE_RESOURCES_ENV,
  events: EVENTS_ENV,
  webhooks: WEBHOOKS_ENV,
  eventBus: EVENT_BUS_ENV,
  eventDetailType: EVENT_DETAIL_TYPE_ENV,
  auth: AUTH_ENV,
  policyFile: POLICY_ENV,
  policyDocument: POLICY_DOCUMENT_ENV,
  tokenTtl: TOKEN_TTL_ENV,
  service: SERVICE_ENV,
  realm: REALM_ENV,
  insecureNoAuth: INSECURE_NO_AUTH_ENV,
  'cognito.userPoolId': COGNITO_USER_POOL_ID_ENV,
  'cognito.clientIds': COGNITO_CLIENT_IDS_ENV,
  'cognito.userClientId': COGNITO_USER_CLIENT_ID_ENV,
  'cognito.oauthTokenUrl': COGNITO_OAUTH_TOKEN_URL_ENV,
  'cognito.resourceServer': COGNITO_RESOURCE_SERVER_ENV,
  'cognito.region': COGNITO_REGION_ENV,
  'cognito.issuer': COGNITO_ISSUER_ENV,
  'cognito.jwksUri': COGNITO_JWKS_URI_ENV,
  logLevel: LOG_LEVEL_ENV,
  metricsAddr: METRICS_ADDR_ENV,
  htpasswdFile: HTPASSWD_ENV,
  shutdownTimeout: SHUTDOWN_TIMEOUT_ENV,
  tlsCert: TLS_CERT_ENV,
  tlsKey: TLS_KEY_ENV,
} as const;

export type SettingEnvKey = keyof typeof SETTING_ENV;

export const AUTH_MODES = ['none', 'local', 'cognito'] as const;
export const DEFAULT_AUTH: (typeof AUTH_MODES)[number] = 'none';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export const DEFAULT_RESOURCE_SERVER = 'stowage';

type Env = Readonly<Record<string, string | undefined>>;

/** A variable's text as set, unchecked; undefined when unset or empty (as ./settings.ts readEnv). */
export function envText(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

/** A list setting's items (comma-separated, trimmed, empty items dropped), as ./settings.ts fromText. */
export function envList(env: Env, name: string): string[] {
  return (envText(env, name) ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** A choice setting's value when it is one of `values`; undefined when unset, a problem line otherwise. */
export function envChoice<V extends string>(env: Env, name: string, values: readonly V[]): { value?: V; problem?: string } {
  const raw = envText(env, name);
  if (raw === undefined) return {};
  if ((values as readonly string[]).includes(raw)) return { value: raw as V };
  return { problem: `${name} must be one of ${values.join(', ')}, not "${raw.slice(0, 60)}"` };
}
