/**
 * The ping's container (lambdas/ping.ts): a registry of `GET /v2/` alone, with no ports and no
 * authorization of its own. The ping has no action to authorize: with auth on, API Gateway's
 * authorizer answers a caller without a valid token with the 401 challenge before this Lambda
 * runs (that 401 is how docker learns the token realm), and a caller it lets through gets 200.
 * So the ping reads only the client-address header, through src/config/setting-env.ts rather than
 * the settings table, and carries neither zod, the settings' descriptions, a claims reader nor
 * a token verifier (issue 9: ping <= 50 KB).
 */
import type { OperationDescriptor } from '../../core/operation.js';
import { CLIENT_ADDRESS_HEADER_ENV, envText } from '../../config/setting-env.js';
import { createLambdaRegistry, type LambdaContainer } from './registry.js';

export function pingContainer(operation: OperationDescriptor, env: NodeJS.ProcessEnv = process.env): LambdaContainer {
  const clientAddressHeader = envText(env, CLIENT_ADDRESS_HEADER_ENV);
  return { registry: createLambdaRegistry(operation, {}, clientAddressHeader ? { clientAddressHeader } : {}) };
}
