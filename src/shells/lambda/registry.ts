/**
 * The registry a Lambda container serves: one operation, built once per container on the first
 * invocation (an import creates nothing), from the environment (./config.ts), which every
 * registry Lambda needs, the ping's included. The ports come from the entry (./ports/*): only
 * those its operation uses, so a Lambda creates only the AWS SDK clients it calls, once, reused
 * by every invocation; building them does no I/O, and nothing is checked at cold start: the
 * stack guarantees the bucket and table exist.
 *
 * Lambda specifics: blobs are always served by redirect (no Lambda carries blob bytes), blob HEAD
 * too (redirectBlobHead: API Gateway renames a Lambda's Content-Length), and events are written
 * to the table as outbox items before the answer (DynamoDbOutboxSink, in ./ports/); the stream
 * consumer relays them to EventBridge.
 *
 * With STOWAGE_AUTH=cognito the registry authorizes every request in the core, from the
 * principal API Gateway's authorizer verified (./authorizer-principal.ts) and the policy, and
 * writes audit lines to the log. The realm and service of its challenges never reach a client:
 * a Lambda's 401 becomes 403 (middleware/no-unauthorized.ts); the gateway's own 401 carries the
 * challenge.
 */
import { DEFAULT_LIMITS, type RegistryPorts } from '../../core/context.js';
import type { OperationDescriptor } from '../../core/operation.js';
import { Registry, type RegistryOptions } from '../../core/registry.js';
import { MemoryLoginLimiter } from '../../adapters/embedded/login-limiter.js';
import { cognitoConfigFromEnv, type CognitoConfig } from '../../adapters/aws/cognito-config.js';
import { CognitoVerifyingProvider } from '../../adapters/aws/cognito-token-verifier.js';
import { policyFromEnv } from '../../adapters/aws/policy-document.js';
import { lambdaConfigFromEnv, type LambdaConfig } from './config.js';
import { LogAuditSink } from './audit-log.js';

/** What a Lambda's handler works with, built once per container. */
export interface LambdaContainer {
  registry: Registry;
  /** Set with STOWAGE_AUTH=cognito: how the authorizer's claims are read. */
  cognito?: CognitoConfig;
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

/** A registry serving `operation` alone, with the given ports and the Lambda's limits. */
export function createLambdaRegistry(operation: OperationDescriptor, ports: Partial<RegistryPorts>, options: RegistryOptions = {}): Registry {
  return new Registry(ports, { ...DEFAULT_LIMITS, redirectBlobHead: true }, { ...options, operations: [operation] });
}

/** The container of a registry Lambda, built from process.env. */
export function registryContainer(operation: OperationDescriptor, ports: (config: LambdaConfig) => Partial<RegistryPorts>): LambdaContainer {
  const config = lambdaConfigFromEnv();
  const cognito = config.auth === 'cognito' ? cognitoConfigFromEnv() : undefined;
  const registry = createLambdaRegistry(operation, ports(config), lambdaRegistryOptions(config, cognito));
  return { registry, ...(cognito && { cognito }) };
}
