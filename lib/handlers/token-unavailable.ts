/**
 * Placeholder for the Docker token endpoint (`/token`) until the authentication issue adds
 * lambdas/token.ts, which the stack then uses instead (lib/stowage-registry.ts picks it up).
 * Answers 501 with the spec's error body, so a client that follows the challenge learns why it
 * cannot log in yet. Machine clients can already get Cognito access tokens from the user pool
 * domain's OAuth2 endpoint (client credentials) and send them as Bearer tokens.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { RegistryError } from '../../src/core/errors.js';
import { errorResponse } from '../../src/core/error-response.js';

export async function handler(): Promise<APIGatewayProxyResult> {
  const error = new RegistryError(
    'NOT_IMPLEMENTED',
    'the token endpoint is not deployed yet: docker login needs the authentication release; CI can use the Cognito OAuth2 token endpoint (client credentials) meanwhile',
  );
  const res = errorResponse(error);
  return {
    statusCode: res.status,
    headers: { ...(res.headers as Record<string, string>), 'cache-control': 'no-store' },
    body: String(res.body),
  };
}
