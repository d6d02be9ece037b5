/**
 * The harness's `authorize` hook (test/harness/authorizer.ts) with real token verification,
 * standing in for what API Gateway does with the stack's two authorizers:
 *
 * - COGNITO_USER_POOLS: verify the Authorization header's token as API Gateway's Cognito
 *   authorizer does (signature by the pool's keys, expiry, issuer; the harness applies the
 *   method's scope rule to the claims) and hand the claims over flattened to strings, as API
 *   Gateway puts them into `requestContext.authorizer.claims`. The accepted app clients are
 *   NOT checked here (API Gateway does not either): the registry does that.
 * - REQUEST (anonymous pull): run the stack's own authorizer code
 *   (src/shells/lambda/anonymous-pull-authorizer.ts) on the event, in-process.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { Authorize } from '../harness/authorizer.js';
import { anonymousPullAuthorizer } from '../../src/shells/lambda/anonymous-pull-authorizer.js';
import { CognitoVerifyingProvider } from '../../src/adapters/aws/cognito-token-verifier.js';
import type { Policy } from '../../src/core/auth/policy.js';

export interface CognitoHookOptions {
  userPoolId: string;
  issuer: string;
  /** The registry's accepted clients (the REQUEST authorizer's configuration). */
  clientIds: string[];
  resourceServer?: string;
  policy: Policy;
}

/** API Gateway's flattening of a claim value into a string (arrays joined with commas). */
function flatten(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(',');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function cognitoAuthorizeHook(options: CognitoHookOptions): Authorize {
  // The Cognito authorizer: any token of the pool, ID or access (the method's scopes then require access).
  const poolVerifier = JwtVerifier.create(
    { issuer: options.issuer, audience: null },
    {
      jwksCache: new SimpleJwksCache({
        fetcher: { fetch: async (uri: string) => (await fetch(uri)).arrayBuffer() },
      }),
    },
  );
  const provider = new CognitoVerifyingProvider({
    userPoolId: options.userPoolId,
    issuer: options.issuer,
    clientIds: options.clientIds,
    resourceServer: options.resourceServer ?? 'stowage',
  });
  const requestAuthorizer = anonymousPullAuthorizer(
    () => ({ verifyToken: (t) => provider.verifyToken(t), policy: options.policy }),
    () => {},
  );
  return async ({ authorizer, identity, event }) => {
    if (authorizer.type === 'COGNITO_USER_POOLS') {
      const raw = identity[0] ?? '';
      const token = raw.replace(/^Bearer\s+/i, '');
      try {
        const claims = await poolVerifier.verify(token);
        return { principalId: String(claims.sub), claims: Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, flatten(v)])) };
      } catch {
        return 'unauthorized';
      }
    }
    try {
      const methodArn = `arn:aws:execute-api:us-east-1:123456789012:${event.requestContext.apiId}/${event.requestContext.stage}/${event.httpMethod}${event.path}`;
      const result = await requestAuthorizer({ ...event, methodArn, requestContext: { requestId: event.requestContext.requestId } });
      const allowed = result.policyDocument.Statement.some((s) => s.Effect === 'Allow');
      return allowed ? { principalId: result.principalId, context: (result.context ?? {}) as Record<string, string> } : 'denied';
    } catch (err) {
      if ((err as Error).message === 'Unauthorized') return 'unauthorized';
      throw err;
    }
  };
}
