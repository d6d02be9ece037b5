/**
 * Authorizers: where the harness can and cannot be API Gateway.
 *
 * What the harness does itself, as API Gateway does: a method with an authorizer whose identity
 * source (the Authorization header) is missing or empty gets the UNAUTHORIZED gateway response
 * (401 with the challenge) without anything being called; with a token, it asks the `authorize`
 * hook; for a Cognito user-pool authorizer on a method with scopes it then applies API Gateway's
 * scope rule to the claims the hook returns (an access token, `token_use` "access", whose `scope`
 * holds at least one of the method's scopes), and puts the claims into
 * `requestContext.authorizer.claims` (a REQUEST authorizer's principal and context into
 * `requestContext.authorizer`).
 *
 * What it cannot do: verify a Cognito token (no Cognito here). That is the hook's job:
 *
 *   authorize(request) => { principalId, claims?, context? }   allowed
 *                        | 'unauthorized'                        401 UNAUTHORIZED (bad, forged,
 *                                                                expired or wrong-pool token)
 *                        | 'denied'                              403 ACCESS_DENIED
 *
 * and throwing is AUTHORIZER_FAILURE (500). Without a hook, the harness runs PLACEHOLDER
 * authorization: any non-empty Authorization header passes, unverified, with no claims and no
 * scope check. `authorize: 'none'` skips authorizers altogether (every method as if it had
 * AuthorizationType NONE): the conformance and client suites, which run without auth on every
 * backend, use it. API keys are checked in every mode.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { AuthorizerModel } from './api-model.js';

export interface AuthorizerRequest {
  /** The authorizer the method names (type, name, identity sources, user pool ARNs). */
  authorizer: AuthorizerModel;
  /** The method being called. */
  method: { httpMethod: string; resourcePath: string; operationName?: string; scopes: readonly string[] };
  /** The identity sources' values, in order (never empty: the harness refuses those itself). */
  identity: string[];
  /** The request as a REQUEST authorizer sees it: the proxy event without its body. */
  event: Omit<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>;
}

export type AuthorizerResult =
  | {
      principalId: string;
      /** Cognito user-pool authorizers: the verified token's claims (values as strings, as in events). */
      claims?: Record<string, string>;
      /** REQUEST/TOKEN authorizers: the context the authorizer returns. */
      context?: Record<string, string | number | boolean>;
    }
  | 'unauthorized'
  | 'denied';

export type Authorize = (request: AuthorizerRequest) => AuthorizerResult | Promise<AuthorizerResult>;

/** `undefined`: placeholder (presence only); 'none': authorizers off; a function: the hook. */
export type AuthorizeOption = Authorize | 'none' | undefined;

/**
 * API Gateway's rule for a Cognito user-pool authorizer on a method with scopes: an access token
 * holding ANY of the method's scopes. Without method scopes, any valid token (ID or access) passes.
 */
export function cognitoScopesAllow(methodScopes: readonly string[], claims: Record<string, string> | undefined): boolean {
  if (methodScopes.length === 0) return true;
  if (claims?.token_use !== 'access') return false;
  const granted = new Set((claims.scope ?? '').split(/\s+/).filter(Boolean));
  return methodScopes.some((s) => granted.has(s));
}

/** The value API Gateway puts into `requestContext.authorizer` for an allowed request. */
export function authorizerContext(type: AuthorizerModel['type'], result: Exclude<AuthorizerResult, string>): Record<string, unknown> {
  if (type === 'COGNITO_USER_POOLS') return { claims: { ...(result.claims ?? {}) } };
  const context = Object.fromEntries(Object.entries(result.context ?? {}).map(([k, v]) => [k, String(v)]));
  return { principalId: result.principalId, integrationLatency: 0, ...context };
}
