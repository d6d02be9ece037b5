/**
 * Authentication on AWS, assembled into the core's AuthSettings: the Cognito identity provider
 * (./cognito-identity-provider.ts) from the environment (./cognito-config.ts), the policy
 * (./policy-document.ts), and a login limiter chosen by the caller (DynamoDB on Lambda, in
 * memory in a long-lived server). Components that only verify tokens use
 * CognitoVerifyingProvider (./cognito-token-verifier.ts) and keep the Cognito API client out of
 * their bundle.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { Policy } from '../../core/auth/policy.js';
import type { AuthSettings } from '../../core/auth/settings.js';
import type { IdentityProvider } from '../../ports/identity-provider.js';
import type { LoginLimiter } from '../../ports/login-limiter.js';
import { CognitoIdentityProvider } from './cognito-identity-provider.js';
import type { CognitoConfig } from './cognito-config.js';

export { policyFromEnv, POLICY_DOCUMENT_ENV } from './policy-document.js';

export function createCognitoProvider(config: CognitoConfig, options: { cognito?: CognitoIdentityProviderClient; now?: () => number } = {}): CognitoIdentityProvider {
  return new CognitoIdentityProvider({
    ...config,
    cognito: options.cognito ?? new CognitoIdentityProviderClient({ region: config.region }),
    ...(options.now && { now: options.now }),
  });
}

export interface CognitoAuthOptions {
  config: CognitoConfig;
  policy: Policy;
  limiter: LoginLimiter;
  realm: string;
  service: string;
  /** Default: the Cognito provider of `config`; IAM login wraps it (./iam-login-config.ts). */
  provider?: IdentityProvider;
}

export function createCognitoAuth(options: CognitoAuthOptions): AuthSettings {
  return {
    provider: options.provider ?? createCognitoProvider(options.config),
    policy: options.policy,
    limiter: options.limiter,
    realm: options.realm,
    service: options.service,
  };
}
