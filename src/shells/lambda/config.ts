/**
 * What a registry Lambda reads from its environment (the CDK stack sets it): the settings of
 * src/config/settings.ts with their CLI names, defaults and checks: the bucket and table
 * (required), the key prefix, the presigned URL lifetime, path-style S3 URLs (emulators), the
 * auth mode and the front door's client-address header.
 *
 * auth `cognito` (the stack sets it): the core authorizes every request from the authorizer's
 * principal, with the policy document and the cognito settings
 * (src/adapters/aws/cognito-config.ts); `none` (default): the gateway's authorizer alone decides.
 *
 * Region, credentials and endpoints come from the AWS SDK's standard environment (AWS_REGION,
 * the function's role, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB for emulators).
 */
import { EnvReader } from '../../config/env-reader.js';
import { SETTINGS } from '../../config/settings.js';
import { RepositorySettings } from '../../core/repository-settings.js';

export interface LambdaConfig {
  s3Bucket: string;
  s3Prefix: string;
  dynamodbTable: string;
  s3PresignExpires: number;
  s3BlobRedirects: 'store' | 'same-host';
  s3ForcePathStyle: boolean;
  auth: 'none' | 'cognito';
  clientAddressHeader?: string;
  /** Per-repository settings (tag mutability, lifecycle policies), from the repositories setting's JSON. */
  repositories: RepositorySettings;
}

/** The repositories setting's JSON from the environment; a bad document adds to `problems`. */
export function repositorySettingsFromEnv(env: NodeJS.ProcessEnv, problems: string[]): RepositorySettings {
  const text = env[SETTINGS.repositories.env];
  if (!text) return RepositorySettings.NONE;
  try {
    return RepositorySettings.fromJson(text, SETTINGS.repositories.env);
  } catch (err) {
    problems.push((err as Error).message);
    return RepositorySettings.NONE;
  }
}

export function lambdaConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  const read = new EnvReader(env);
  const s3Bucket = read.required(SETTINGS.s3Bucket);
  const dynamodbTable = read.required(SETTINGS.dynamodbTable);
  const s3PresignExpires = read.required(SETTINGS.s3PresignExpires);
  const auth = read.required(SETTINGS.auth);
  if (auth === 'local') read.problems.push(`${SETTINGS.auth.env} must be none or cognito in a Lambda, not "local"`);
  const clientAddressHeader = read.optional(SETTINGS.clientAddressHeader);
  const repositories = repositorySettingsFromEnv(env, read.problems);
  const config: LambdaConfig = {
    repositories,
    s3Bucket,
    s3Prefix: read.required(SETTINGS.s3Prefix),
    dynamodbTable,
    s3PresignExpires,
    s3BlobRedirects: read.required(SETTINGS.s3BlobRedirects),
    s3ForcePathStyle: read.required(SETTINGS.s3ForcePathStyle),
    auth: auth as LambdaConfig['auth'],
    ...(clientAddressHeader && { clientAddressHeader }),
  };
  read.check('registry Lambda configuration');
  return config;
}

/** What the token Lambda reads besides the Cognito settings and the policy. */
export interface TokenLambdaConfig {
  /** The table of failed-login counters; absent: counters in memory. */
  dynamodbTable?: string;
  /** The token service; default: the public host of the request. */
  service?: string;
  /** Lower-case header the front door sets to the host the client used. */
  publicHostHeader: string;
  clientAddressHeader?: string;
}

export function tokenLambdaConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TokenLambdaConfig {
  const read = new EnvReader(env);
  const dynamodbTable = read.optional(SETTINGS.dynamodbTable);
  const service = read.optional(SETTINGS.service);
  const clientAddressHeader = read.optional(SETTINGS.clientAddressHeader);
  const config: TokenLambdaConfig = {
    ...(dynamodbTable && { dynamodbTable }),
    publicHostHeader: read.required(SETTINGS.publicHostHeader).toLowerCase(),
    ...(service && { service }),
    ...(clientAddressHeader && { clientAddressHeader }),
  };
  read.check('token Lambda configuration');
  return config;
}

/** What the stream consumer publishes with: the bus (required) and the detail type. */
export function streamConsumerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): { eventBusName: string; detailType?: string } {
  const read = new EnvReader(env);
  const eventBusName = read.required(SETTINGS.eventBus);
  const detailType = read.optional(SETTINGS.eventDetailType);
  read.check('stream consumer configuration');
  return { eventBusName, ...(detailType && { detailType }) };
}
