/**
 * The Docker token endpoint on Lambda (`GET`/`POST /token`, no authorizer: it takes Basic
 * credentials): the REST proxy event -> the core's tokenEndpoint() with the Cognito identity
 * provider -> a proxy result, and an audit line for every refusal (failed logins included).
 * The core decides everything; this file only translates and assembles, like handler.ts.
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
 *
 * The service defaults to the host the client used, as the challenge the CloudFront Function
 * writes does: docker sends back the service its challenge named, and a mismatch is a 400.
 *
 * Everything is built once per container, on the first invocation: the token cache then spares
 * Cognito calls across invocations of the same container.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { auditRecord, shouldAudit } from '../../core/auth/audit.js';
import type { AuthSettings } from '../../core/auth/settings.js';
import { tokenEndpoint } from '../../core/auth/token-endpoint.js';
import { clientAddressOf } from '../../core/client-address.js';
import { errorResponse, noEndpoint } from '../../core/registry.js';
import { matchRoute } from '../../core/routes.js';
import type { AuditSink } from '../../ports/audit-sink.js';
import type { LoginLimiter } from '../../ports/login-limiter.js';
import { createCognitoProvider, policyFromEnv } from '../../adapters/aws/cognito-auth.js';
import { cognitoConfigFromEnv } from '../../adapters/aws/cognito-config.js';
import { DynamoDbLoginLimiter } from '../../adapters/aws/dynamodb-login-limiter.js';
import { MemoryLoginLimiter } from '../../adapters/embedded/login-limiter.js';
import { LogAuditSink } from './audit-log.js';
import { errorMapping } from './middleware/error-mapping.js';
import { inputLimits } from './middleware/input-limits.js';
import { requestLog } from './middleware/request-log.js';
import { toIncomingRequest, type ProxyEventLike } from './request.js';
import { toProxyResult } from './response.js';
import { tokenLambdaConfigFromEnv } from './config.js';

/** What the token endpoint needs besides the per-request realm and service. */
export interface TokenEndpointSetup {
  base: Omit<AuthSettings, 'realm' | 'service'>;
  audit: AuditSink;
  /** Fixed service name; absent: the request's public host. */
  service?: string;
  publicHostHeader: string;
  clientAddressHeader?: string;
}

const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?$/;

export function tokenSetupFromEnv(env: NodeJS.ProcessEnv = process.env): TokenEndpointSetup {
  const { dynamodbTable: table, ...names } = tokenLambdaConfigFromEnv(env);
  const limiter: LoginLimiter = table ? new DynamoDbLoginLimiter({ client: new DynamoDBClient({}), tableName: table }) : new MemoryLoginLimiter();
  return {
    base: { provider: createCognitoProvider(cognitoConfigFromEnv(env)), policy: policyFromEnv(env), limiter },
    audit: new LogAuditSink(),
    ...names,
  };
}

type TokenEvent = ProxyEventLike & { requestContext?: { requestId?: string; identity?: { sourceIp?: string | null } } | null };

/** The bare handler: event in, result out. */
export function tokenHandler(setup: () => TokenEndpointSetup): (event: TokenEvent, context?: Pick<Context, 'awsRequestId'>) => Promise<APIGatewayProxyResult> {
  return async (event, context) => {
    const req = toIncomingRequest(event);
    const match = matchRoute(req.method, req.path);
    if (match.kind !== 'match' || match.route.operation !== 'token') {
      return toProxyResult(errorResponse(noEndpoint(req.path), req.method === 'HEAD'), req.method === 'HEAD');
    }
    const s = setup();
    const rawHost = req.headers[s.publicHostHeader] ?? req.headers.host ?? '';
    const host = HOST.test(rawHost) ? rawHost.toLowerCase() : 'registry.invalid';
    const settings: AuthSettings = { ...s.base, realm: `https://${host}/token`, service: s.service ?? host };
    const clientAddress = clientAddressOf(req.headers, event.requestContext?.identity?.sourceIp, s.clientAddressHeader);
    const outcome = await tokenEndpoint(settings, { method: req.method, query: req.query, headers: req.headers, body: req.body, clientAddress });
    const status = outcome.response.status;
    if (shouldAudit({ method: req.method, route: match.route, status, hadAuthorization: req.headers.authorization !== undefined })) {
      await s.audit.record(
        auditRecord({
          method: req.method,
          route: match.route,
          params: {},
          query: req.query,
          hadAuthorization: req.headers.authorization !== undefined,
          status,
          error: outcome.error?.code ?? null,
          principal: outcome.principal,
          claimedPrincipal: outcome.claimed,
          clientAddress,
          requestId: event.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown',
        }),
      );
    }
    return toProxyResult(outcome.response, false);
  };
}

let container: TokenEndpointSetup | undefined;

export interface TokenLambdaOptions {
  /** @default built from process.env on the first invocation */
  setup?: () => TokenEndpointSetup;
  log?: (line: string) => void;
  logError?: (line: string) => void;
}

/** The handler `lambdas/token.ts` exports. */
export function tokenLambdaHandler(options: TokenLambdaOptions = {}): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  const setup = options.setup ?? (() => (container ??= tokenSetupFromEnv()));
  return middy(tokenHandler(setup)).use([
    requestLog(options.log ? { log: options.log } : {}),
    errorMapping(options.logError ? { log: options.logError } : {}),
    inputLimits({ maxBodyBytes: 64 * 1024 }),
  ]);
}
