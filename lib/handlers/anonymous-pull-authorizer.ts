/**
 * Placeholder Lambda REQUEST authorizer for the pull methods when anonymous pull is on. API
 * Gateway answers requests without an Authorization header itself (401 with the challenge), so
 * this runs only for requests that carry one. The real authorizer, which accepts Cognito access
 * tokens and the anonymous tokens the token endpoint issues per the policy, comes with the
 * authentication issue (lambdas/anonymous-pull-authorizer.ts, picked up by the stack when it
 * exists). Until then it refuses every token: "Unauthorized" makes API Gateway answer 401 with
 * the challenge, never a Lambda-made 401 (whose WWW-Authenticate API Gateway would rename).
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { log } from '../../src/log/logger.js';

export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  log.warn('anonymous-pull authorizer placeholder: refusing (the authentication release replaces this function)', {
    methodArn: event.methodArn,
    requestId: event.requestContext?.requestId,
  });
  throw new Error('Unauthorized');
}
