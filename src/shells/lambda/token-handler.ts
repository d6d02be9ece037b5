/**
 * The Docker token endpoint on Lambda (`GET`/`POST /token`, no authorizer: it takes Basic
 * credentials): the container `lambdas/token.ts` hands to the same handler factory as every
 * other operation (./handler.ts). Its registry serves the token operation alone, through
 * Registry.handle like any route, with the Cognito token flow as its TokenIssuer
 * (ports/token-issuer.ts); the core decides everything and writes an audit line for every
 * refusal (failed logins included). This file only assembles.
 *
 * Environment (the stack sets it):
 *
 *   STOWAGE_COGNITO_*               the user pool and app clients (src/adapters/aws/cognito-config.ts)
 *   STOWAGE_POLICY_DOCUMENT         the policy (default: every authenticated principal may do everything)
 *   STOWAGE_DYNAMODB_TABLE          the metadata table, which holds the failed-login counters
 *                                   (DynamoDbLoginLimiter); absent: counted per container only
 *   STOWAGE_SERVICE                 the token service; default: the public host of the request
 *   STOWAGE_PUBLIC_HOST_HEADER      header the front door sets to the host the client used
 *                                   (default: Host)
 *   STOWAGE_CLIENT_ADDRESS_HEADER   header the front door sets to the client's address
 *   STOWAGE_IAM_LOGIN_*             IAM login (`stowage login`), when the stack's iamLogin is on:
 *                                   the KMS key that signs the registry's own tokens, the STS
 *                                   endpoint override (src/adapters/aws/iam-login-config.ts)
 *
 * The service defaults to the host the client used, as the challenge the CloudFront Function
 * writes does: docker sends back the service its challenge named, and a mismatch is a 400.
 *
 * Everything is built once per container, on the first invocation: the token cache then spares
 * Cognito calls across invocations of the same container. Its 401 for a bad credential carries
 * no challenge (docker reads the body) and stays a 401: no 401 rewrite here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tokenOperation } from '../../core/operations/token.js';
import { Registry } from '../../core/registry.js';
import type { LoginLimiter } from '../../ports/login-limiter.js';
import { createCognitoProvider, policyFromEnv } from '../../adapters/aws/cognito-auth.js';
import { cognitoConfigFromEnv } from '../../adapters/aws/cognito-config.js';
import { iamLoginConfigFromEnv, withIamLogin } from '../../adapters/aws/iam-login-config.js';
import { DynamoDbLoginLimiter } from '../../adapters/aws/dynamodb-login-limiter.js';
import { MemoryLoginLimiter } from '../../adapters/embedded/login-limiter.js';
import { LogAuditSink } from './audit-log.js';
import { tokenLambdaConfigFromEnv } from './config.js';
import type { LambdaHandlerOptions } from './handler.js';
import type { LambdaContainer } from './registry.js';
import { emfMetrics } from '../observe-emf.js';

const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?$/;

/** The host the client used, from the front door's header; a malformed one names no real service. */
function publicHost(headers: Record<string, string | undefined>, publicHostHeader: string): string {
  const raw = headers[publicHostHeader] ?? headers.host ?? '';
  return HOST.test(raw) ? raw.toLowerCase() : 'registry.invalid';
}

/** The token Lambda's registry, from the environment. */
export function tokenContainer(env: NodeJS.ProcessEnv = process.env): LambdaContainer {
  const { dynamodbTable: table, service: fixedService, publicHostHeader, clientAddressHeader } = tokenLambdaConfigFromEnv(env);
  const limiter: LoginLimiter = table ? new DynamoDbLoginLimiter({ client: new DynamoDBClient({}), tableName: table }) : new MemoryLoginLimiter();
  const cognito = createCognitoProvider(cognitoConfigFromEnv(env));
  const iamLogin = iamLoginConfigFromEnv(env);
  const registry = new Registry({}, undefined, {
    operations: [tokenOperation],
    auth: {
      provider: iamLogin ? withIamLogin(cognito, iamLogin) : cognito,
      policy: policyFromEnv(env),
      limiter,
      // Challenges are the gateway's (this registry gates no route); only the service matters here.
      realm: 'https://registry.invalid/token',
      service: fixedService ?? 'registry.invalid',
    },
    // The service defaults to the host the client used, as the challenge the CloudFront Function writes does.
    ...(!fixedService && { tokenService: (headers: Record<string, string | undefined>) => publicHost(headers, publicHostHeader) }),
    audit: new LogAuditSink(),
    ...(clientAddressHeader && { clientAddressHeader }),
  });
  return { registry };
}

/** What `lambdas/token.ts` passes to lambdaHandler: its container, its metrics, its 401s kept, a small body limit. */
export const TOKEN_LAMBDA_OPTIONS: LambdaHandlerOptions = { container: () => tokenContainer(), metrics: emfMetrics, rewriteUnauthorized: false, maxBodyBytes: 64 * 1024 };
