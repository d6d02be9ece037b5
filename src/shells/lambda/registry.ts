/**
 * The registry a Lambda container serves: one operation, built once per container on the first
 * invocation (an import creates nothing), from the environment: the whole Lambda configuration
 * (./config.ts, ./registry-container.ts), or for the ping only what it reads
 * (./ping-container.ts). This module reads no environment itself, so that the ping's bundle
 * carries no settings table. The ports come from the entry (./ports/*): only
 * those its operation uses, so a Lambda creates only the AWS SDK clients it calls, once, reused
 * by every invocation; building them does no I/O, and nothing is checked at cold start: the
 * stack guarantees the bucket and table exist.
 *
 * Lambda specifics: blobs are always served by redirect (no Lambda carries blob bytes; on the
 * stack to the front door's own host, which adds Docker-Content-Digest), blob HEAD is answered
 * from the link like a manifest HEAD (API Gateway renames its Content-Length, the front door's
 * origin-response function puts it back), and events are written
 * to the table as outbox items before the answer (DynamoDbOutboxSink, in ./ports/); the stream
 * consumer relays them to EventBridge.
 *
 * With STOWAGE_AUTH=cognito the registry authorizes every request in the core, from the
 * principal API Gateway's authorizer verified (./authorizer-principal.ts) and the entry's auth
 * set (./auth/: the policy and a token verifier, or nothing for the ping), and writes audit
 * lines to the log. The realm and service of its challenges never reach a client:
 * a Lambda's 401 becomes 403 (middleware/no-unauthorized.ts); the gateway's own 401 carries the
 * challenge.
 */
import { DEFAULT_LIMITS, type RegistryPorts } from '../../core/context.js';
import type { RepositorySettings } from '../../core/repository-settings.js';
import type { OperationDescriptor } from '../../core/operation.js';
import { Registry, type RegistryOptions } from '../../core/registry.js';
import type { AuthSettings } from '../../core/auth/settings.js';
import type { LoginLimiter } from '../../ports/login-limiter.js';
import type { CognitoConfig } from '../../adapters/aws/cognito-config.js';
import type { Principal } from '../../ports/principal.js';
import type { AuthorizerContextLike } from './authorizer-principal.js';
import type { LambdaConfig } from './config.js';
import { LogAuditSink } from './audit-log.js';
import { AUTH_ENV } from '../../config/setting-env.js';

/** What a Lambda's handler works with, built once per container. */
export interface LambdaContainer {
  registry: Registry;
  /**
   * Set with STOWAGE_AUTH=cognito where the core authorizes: the principal API Gateway's
   * authorizer verified, read from the event (./authorizer-principal.ts).
   */
  principalOf?: (event: AuthorizerContextLike) => Principal | undefined;
}

/**
 * The token verifier and policy the core's gate uses with STOWAGE_AUTH=cognito, chosen by the
 * entry as it chooses its ports (./auth/): only what its operation's gate consults is bundled.
 */
export type LambdaAuth<Cognito = CognitoConfig> = (cognito: Cognito, env: NodeJS.ProcessEnv) => Pick<AuthSettings, 'provider' | 'policy'>;

/** The token endpoint is not served by a registry Lambda: nothing logs in, the limiter is never asked. */
const NO_LOGINS: LoginLimiter = {
  check: async () => ({ allowed: true }),
  recordFailure: async () => {},
  recordSuccess: async () => {},
};

/**
 * Auth, audit and client address for a registry Lambda; none of it without Cognito settings
 * (STOWAGE_AUTH=none). With them but no auth set the container refuses to start: a missing set
 * must never mean an open registry.
 */
export function lambdaRegistryOptions<Cognito>(
  config: Pick<LambdaConfig, 'clientAddressHeader'>,
  cognito: Cognito | undefined,
  auth: LambdaAuth<Cognito> | undefined,
  env: NodeJS.ProcessEnv = process.env,
): RegistryOptions {
  const common = config.clientAddressHeader ? { clientAddressHeader: config.clientAddressHeader } : {};
  if (!cognito) return common;
  if (!auth) throw new Error(`${AUTH_ENV}=cognito, but this Lambda entry wires no auth set (src/shells/lambda/auth/)`);
  return {
    ...common,
    auth: {
      ...auth(cognito, env),
      limiter: NO_LOGINS,
      realm: 'https://registry.invalid/token',
      service: 'registry',
    },
    audit: new LogAuditSink(),
  };
}

/** A registry serving `operation` alone, with the given ports and the Lambda's limits. */
export function createLambdaRegistry(operation: OperationDescriptor, ports: Partial<RegistryPorts>, options: RegistryOptions = {}, repositories?: RepositorySettings): Registry {
  return new Registry(ports, { ...DEFAULT_LIMITS, ...(repositories && { repositories }) }, { ...options, operations: [operation] });
}
