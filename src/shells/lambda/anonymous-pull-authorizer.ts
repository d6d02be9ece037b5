/**
 * The Lambda REQUEST authorizer on the pull methods and the ping when anonymous pull is on (the
 * stack's `anonymousPull`), and on every method when IAM login is on (`iamLogin`: API Gateway's
 * Cognito authorizer accepts only Cognito tokens, and IAM logins get tokens the registry mints,
 * src/adapters/aws/iam-login-provider.ts), in place of the Cognito authorizer. It authenticates; the
 * registry Lambda behind it authorizes per repository with the same policy (403 DENIED):
 *
 *   no Authorization header   a pull of a repository the policy lets anyone pull: allowed as
 *                             anonymous; anything else (the ping included, which is how docker
 *                             learns the token realm): refused
 *   Bearer anonymous.<...>    the anonymous token the token endpoint hands out to callers
 *                             without credentials: allowed as anonymous (the registry Lambda
 *                             then allows only the policy's anonymous pulls)
 *   Bearer <access token>     verified like every Cognito token (cognito-token-verifier.ts), or
 *                             with IAM login on, a token the registry minted (its KMS key's
 *                             signature): allowed as its principal, refused if invalid
 *   anything else             refused
 *
 * Refusing is throwing "Unauthorized", which makes API Gateway answer its UNAUTHORIZED gateway
 * response: 401 with the Docker challenge. A 401 made here would lose its WWW-Authenticate.
 * The principal travels to the registry Lambda in the context (./authorizer-principal.ts).
 *
 * In the stack the authorizer's identity source is the Authorization header, so API Gateway
 * itself refuses requests without one before this runs (no invocation for credential-less
 * traffic); docker fetches an anonymous token first anyway. The first case above serves an
 * authorizer configured without an identity source.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { bearerToken } from '../../core/auth/gate.js';
import { validateName } from '../../core/names.js';
import { ANONYMOUS, type Principal } from '../../core/auth/principal.js';
import type { Policy } from '../../core/auth/policy.js';
import { matchRoute } from '../../core/routes.js';
import { publicPath } from './routed-name.js';
import { cognitoConfigFromEnv } from '../../adapters/aws/cognito-config.js';
import { CognitoVerifyingProvider } from '../../adapters/aws/cognito-token-verifier.js';
import { iamLoginConfigFromEnv, withIamLogin } from '../../adapters/aws/iam-login-config.js';
import { policyFromEnv } from '../../adapters/aws/policy-document.js';
import { encodePrincipal, PRINCIPAL_CONTEXT_KEY } from './authorizer-principal.js';
import { jsonRecordsTo, log as processLog } from '../../log/logger.js';

export interface AuthorizerSetup {
  verifyToken(token: string): Promise<Principal | null>;
  policy: Policy;
}

export function authorizerSetupFromEnv(env: NodeJS.ProcessEnv = process.env): AuthorizerSetup {
  const cognito = new CognitoVerifyingProvider(cognitoConfigFromEnv(env));
  const iamLogin = iamLoginConfigFromEnv(env);
  const provider = iamLogin ? withIamLogin(cognito, iamLogin) : cognito;
  return { verifyToken: (token) => provider.verifyToken(token), policy: policyFromEnv(env) };
}

type AuthorizerEvent = Pick<APIGatewayRequestAuthorizerEvent, 'methodArn' | 'httpMethod' | 'path' | 'headers' | 'multiValueHeaders'> & {
  requestContext?: { requestId?: string } | null;
};

function nameOrNull(raw: string | undefined): string | null {
  try {
    return raw === undefined ? null : validateName(raw);
  } catch {
    return null;
  }
}

function authorizationOf(event: AuthorizerEvent): string | undefined {
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) if (name.toLowerCase() === 'authorization' && values?.length) return values[0];
  for (const [name, value] of Object.entries(event.headers ?? {})) if (name.toLowerCase() === 'authorization' && value !== undefined) return value;
  return undefined;
}

function allow(event: AuthorizerEvent, principal: Principal): APIGatewayAuthorizerResult {
  return {
    principalId: principal.subject,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
    context: { [PRINCIPAL_CONTEXT_KEY]: encodePrincipal(principal) },
  };
}

export function anonymousPullAuthorizer(setup: () => AuthorizerSetup, log: (line: string) => void = jsonRecordsTo(processLog, 'info', 'authorizer')) {
  return async (event: AuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const s = setup();
    const authorization = authorizationOf(event);
    let principal: Principal | null = null;
    let reason: string;
    if (authorization === undefined) {
      const match = matchRoute(event.httpMethod ?? '', publicPath(event));
      const name = match.kind === 'match' ? nameOrNull(match.params.name) : null;
      const anonymousPull = match.kind === 'match' && match.route.action === 'pull' && name !== null && s.policy.anonymousMayPull(name);
      if (anonymousPull) principal = ANONYMOUS;
      reason = 'no credential, and not a pull anyone may make';
    } else {
      const token = bearerToken(authorization);
      if (token) principal = await s.verifyToken(token);
      reason = token ? 'invalid, expired or foreign token' : 'not a Bearer token';
    }
    if (!principal) {
      log(
        JSON.stringify({
          message: 'authorizer: refused (401 with the challenge)',
          reason,
          method: event.httpMethod,
          path: publicPath(event).slice(0, 300),
          apiRequestId: event.requestContext?.requestId ?? null,
        }),
      );
      throw new Error('Unauthorized');
    }
    return allow(event, principal);
  };
}

let container: AuthorizerSetup | undefined;

/** The handler `lambdas/anonymous-pull-authorizer.ts` exports. */
export function anonymousPullAuthorizerHandler(setup: () => AuthorizerSetup = () => (container ??= authorizerSetupFromEnv())) {
  return anonymousPullAuthorizer(setup);
}
