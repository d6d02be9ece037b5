/**
 * The auth set of the ping (`GET /v2/`, see ./README.md): a route without an action, for which the
 * core's gate only asks "is there a verified principal?" and never consults the policy. On AWS
 * API Gateway's Cognito (or anonymous-pull) authorizer has verified the caller before the Lambda
 * runs, and that principal is all the gate needs; so this set verifies nothing itself and grants
 * nothing: no policy document parsed (no zod), no JWT library, no JWKS fetch. A request without
 * authorizer context (a method wired without one) is refused, 403 after the Lambda's 401 rewrite.
 */
import type { Authenticated, IdentityProvider, IssuedToken } from '../../../ports/identity-provider.js';
import type { LambdaAuth } from '../registry.js';

const GATEWAY_VERIFIES: IdentityProvider = {
  authenticate: async (): Promise<Authenticated | null> => {
    throw new Error('the ping verifies no credential; logins go to the token endpoint');
  },
  issueToken: async (): Promise<IssuedToken> => {
    throw new Error('the ping issues no token; tokens come from the token endpoint');
  },
  // Only the authorizer's principal counts here: a bearer token the gateway did not verify is no credential.
  verifyToken: async () => null,
};

export const gatewayOnlyAuth: LambdaAuth<unknown> = () => ({
  provider: GATEWAY_VERIFIES,
  // Asked only for routes with an action, and this Lambda serves none: it allows nothing.
  policy: { allows: () => false, anonymousMayPull: () => false },
});
