/**
 * The container of a registry Lambda that reads the whole Lambda configuration: the bucket and
 * table its ports need (./config.ts) and, with STOWAGE_AUTH=cognito, the Cognito settings its auth
 * set verifies tokens with (src/adapters/aws/cognito-config.ts), each checked by its setting's
 * schema (src/config/settings.ts). Every registry entry but the ping's passes one to
 * lambdaHandler; the ping reads less (./ping-container.ts).
 */
import type { RegistryPorts } from '../../core/context.js';
import type { OperationDescriptor } from '../../core/operation.js';
import { cognitoConfigFromEnv } from '../../adapters/aws/cognito-config.js';
import { lambdaConfigFromEnv, type LambdaConfig } from './config.js';
import { authorizerPrincipal } from './authorizer-principal.js';
import { createLambdaRegistry, lambdaRegistryOptions, type LambdaAuth, type LambdaContainer } from './registry.js';

/** The ports an operation needs, built from the Lambda's configuration (see ./ports/). */
export type LambdaPorts = (config: LambdaConfig) => Partial<RegistryPorts>;

/**
 * The container of a registry Lambda with these ports and this auth set (./auth/), built from
 * process.env when lambdaHandler first asks for it.
 */
export function registryContainer(ports: LambdaPorts, auth: LambdaAuth): (operation: OperationDescriptor) => LambdaContainer {
  return (operation) => {
    const config = lambdaConfigFromEnv();
    const cognito = config.auth === 'cognito' ? cognitoConfigFromEnv() : undefined;
    const registry = createLambdaRegistry(operation, ports(config), lambdaRegistryOptions(config, cognito, auth), config.repositories);
    // With auth on, the core's gate decides from the principal API Gateway's authorizer verified.
    return { registry, ...(cognito && { principalOf: (event) => authorizerPrincipal(event, cognito) ?? undefined }) };
  };
}
