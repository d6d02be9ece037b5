/**
 * Placeholder for the Docker token endpoint (`/token`) until the authentication issue adds
 * lambdas/token.ts, which the stack then uses instead (lib/stowage-registry.ts picks it up).
 * Answers 501 with the spec's error body, so a client that follows the challenge learns why it
 * cannot log in yet. Machine clients can already get Cognito access tokens from the user pool
 * domain's OAuth2 endpoint (client credentials) and send them as Bearer tokens.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { RegistryError, errorBody } from '../../src/core/errors.js';
import { API_VERSION_HEADER } from '../../src/core/messages.js';

export async function handler(): Promise<APIGatewayProxyResult> {
  const error = new RegistryError(
    'UNSUPPORTED',
    'the token endpoint is not deployed yet: docker login needs the authentication release; CI can use the Cognito OAuth2 token endpoint (client credentials) meanwhile',
    { status: 501 },
  );
  return {
    statusCode: error.status,
    headers: { ...API_VERSION_HEADER, 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: errorBody(error),
  };
}
