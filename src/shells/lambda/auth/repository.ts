/**
 * The auth set of every operation with a repository action (see ./README.md): the policy the stack
 * put in STOWAGE_POLICY_DOCUMENT, and Cognito access-token verification (aws-jwt-verify, the
 * pool's JWKS fetched once per container) for a request that reaches the Lambda without
 * authorizer context (a method wired without one); with context, the authorizer's principal is
 * used and nothing is verified again.
 */
import { CognitoVerifyingProvider } from '../../../adapters/aws/cognito-token-verifier.js';
import { policyFromEnv } from '../../../adapters/aws/policy-document.js';
import type { LambdaAuth } from '../registry.js';

export const repositoryAuth: LambdaAuth = (cognito, env) => ({
  provider: new CognitoVerifyingProvider(cognito),
  policy: policyFromEnv(env),
});
