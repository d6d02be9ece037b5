/**
 * The registry a Lambda container serves: built once per container, on the first invocation (an
 * import creates nothing), from the environment (./config.ts), which every registry Lambda needs,
 * the ping's included. AWS SDK clients are created here once and reused by every invocation;
 * building them does no I/O, and nothing is checked at cold start: the stack guarantees the
 * bucket and table exist.
 *
 * Lambda specifics: blobs are always served by redirect (no Lambda carries blob bytes), blob HEAD
 * too (redirectBlobHead: API Gateway renames a Lambda's Content-Length), and events are written
 * to the table as outbox items before the answer (DynamoDbOutboxSink); the stream consumer
 * relays them to EventBridge.
 *
 * With STOWAGE_AUTH=cognito the registry authorizes every request in the core, from the
 * principal API Gateway's authorizer verified (./authorizer-principal.ts) and the policy, and
 * writes audit lines to the log. The realm and service of its challenges never reach a client:
 * a Lambda's 401 becomes 403 (middleware/no-unauthorized.ts); the gateway's own 401 carries the
 * challenge.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_LIMITS, type RegistryPorts } from '../../core/context.js';
import { Registry } from '../../core/registry.js';
import { S3BlobStore } from '../../adapters/aws/s3-blob-store.js';
import { DynamoDbMetadataStore } from '../../adapters/aws/dynamodb-metadata-store.js';
import { S3LargeObjectStore } from '../../adapters/aws/large-objects.js';
import { DynamoDbOutboxSink } from '../../adapters/aws/outbox-event-sink.js';
import { MemoryLoginLimiter } from '../../adapters/embedded/login-limiter.js';
import { cognitoConfigFromEnv, type CognitoConfig } from '../../adapters/aws/cognito-config.js';
import { CognitoVerifyingProvider } from '../../adapters/aws/cognito-token-verifier.js';
import { policyFromEnv } from '../../adapters/aws/policy-document.js';
import type { RegistryOptions } from '../../core/registry.js';
import { lambdaConfigFromEnv, type LambdaConfig } from './config.js';
import { LogAuditSink } from './audit-log.js';

export interface LambdaClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
}

export function lambdaPorts(config: LambdaConfig, clients: LambdaClients): RegistryPorts {
  const largeObjects = new S3LargeObjectStore({ client: clients.s3, bucket: config.s3Bucket, prefix: config.s3Prefix });
  return {
    blobs: new S3BlobStore({
      client: clients.s3,
      bucket: config.s3Bucket,
      prefix: config.s3Prefix,
      presignExpiresSeconds: config.s3PresignExpires,
      serveBlobs: 'redirect',
    }),
    metadata: new DynamoDbMetadataStore({ client: clients.dynamodb, tableName: config.dynamodbTable, largeObjects }),
    events: new DynamoDbOutboxSink({ client: clients.dynamodb, tableName: config.dynamodbTable }),
  };
}

/** Auth, audit and client address for a registry Lambda; none of it without Cognito settings (STOWAGE_AUTH=none). */
export function lambdaRegistryOptions(config: LambdaConfig, cognito: CognitoConfig | undefined, env: NodeJS.ProcessEnv = process.env): RegistryOptions {
  const common = config.clientAddressHeader ? { clientAddressHeader: config.clientAddressHeader } : {};
  if (!cognito) return common;
  return {
    ...common,
    auth: {
      provider: new CognitoVerifyingProvider(cognito),
      policy: policyFromEnv(env),
      // The token endpoint is not served here: nothing logs in, the limiter is never asked.
      limiter: new MemoryLoginLimiter(),
      realm: 'https://registry.invalid/token',
      service: 'registry',
    },
    audit: new LogAuditSink(),
  };
}

export function createLambdaRegistry(config: LambdaConfig, clients: LambdaClients, options: RegistryOptions = {}): Registry {
  return new Registry(lambdaPorts(config, clients), { ...DEFAULT_LIMITS, redirectBlobHead: true }, options);
}

export interface ContainerRegistry {
  registry: Registry;
  /** Set with STOWAGE_AUTH=cognito: how the authorizer's claims are read. */
  cognito?: CognitoConfig;
}

let container: ContainerRegistry | undefined;

/** The container's registry, built from process.env on the first call. */
export function lambdaContainer(): ContainerRegistry {
  if (!container) {
    const config = lambdaConfigFromEnv();
    const clients = { s3: new S3Client({ forcePathStyle: config.s3ForcePathStyle }), dynamodb: new DynamoDBClient({}) };
    const cognito = config.auth === 'cognito' ? cognitoConfigFromEnv() : undefined;
    const registry = createLambdaRegistry(config, clients, lambdaRegistryOptions(config, cognito));
    container = { registry, ...(cognito && { cognito }) };
  }
  return container;
}

/** The container's registry (see lambdaContainer). */
export function lambdaRegistry(): Registry {
  return lambdaContainer().registry;
}
