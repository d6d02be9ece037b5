/**
 * The ping's container (lambdas/ping.ts): a registry of `GET /v2/` alone, with no ports and the
 * gateway-only auth set (./auth/gateway-only.ts). It reads only what it uses: the auth mode, the
 * client-address header and, with STOWAGE_AUTH=cognito, the two settings the authorizer's claims
 * are read with (accepted app clients, resource server); no bucket, no table, no user pool.
 * It reads them through src/config/setting-env.ts, not the settings table, so that the ping's
 * bundle carries neither zod nor the settings' descriptions (issue 9: ping <= 50 KB). What it
 * refuses, the other registry Lambdas refuse too (./config.ts, src/adapters/aws/cognito-config.ts).
 */
import type { OperationDescriptor } from '../../core/operation.js';
import { acceptedClientIds, type ClaimsOptions } from '../../adapters/aws/cognito-claims.js';
import {
  AUTH_ENV,
  AUTH_MODES,
  CLIENT_ADDRESS_HEADER_ENV,
  COGNITO_CLIENT_IDS_ENV,
  COGNITO_RESOURCE_SERVER_ENV,
  COGNITO_USER_CLIENT_ID_ENV,
  DEFAULT_AUTH,
  DEFAULT_RESOURCE_SERVER,
  envChoice,
  envList,
  envText,
} from '../../config/setting-env.js';
import { gatewayOnlyAuth } from './auth/gateway-only.js';
import { createLambdaRegistry, lambdaRegistryOptions, type LambdaContainer } from './registry.js';

export function pingContainer(operation: OperationDescriptor, env: NodeJS.ProcessEnv = process.env): LambdaContainer {
  const problems: string[] = [];
  const auth = envChoice(env, AUTH_ENV, AUTH_MODES);
  if (auth.problem) problems.push(auth.problem);
  if (auth.value === 'local') problems.push(`${AUTH_ENV} must be none or cognito in a Lambda, not "local"`);
  const clientAddressHeader = envText(env, CLIENT_ADDRESS_HEADER_ENV);
  let cognito: ClaimsOptions | undefined;
  if ((auth.value ?? DEFAULT_AUTH) === 'cognito') {
    const clientIds = acceptedClientIds(envList(env, COGNITO_CLIENT_IDS_ENV), envText(env, COGNITO_USER_CLIENT_ID_ENV));
    if (clientIds.length === 0) problems.push(`${COGNITO_CLIENT_IDS_ENV} is not set (the app clients whose tokens the registry accepts)`);
    cognito = { clientIds, resourceServer: envText(env, COGNITO_RESOURCE_SERVER_ENV) ?? DEFAULT_RESOURCE_SERVER };
  }
  if (problems.length > 0) throw new Error(`ping Lambda configuration: ${problems.join('; ')}`);
  const registry = createLambdaRegistry(operation, {}, lambdaRegistryOptions(clientAddressHeader ? { clientAddressHeader } : {}, cognito, gatewayOnlyAuth));
  return { registry, ...(cognito && { cognito }) };
}
