/**
 * IAM login's configuration from the environment (the iamLogin.* settings of
 * src/config/settings.ts, which the stack sets with its iamLogin prop), and the one function
 * that puts it around an identity provider: the token Lambda, the REQUEST authorizer and the
 * upload service all call withIamLogin, so they agree on keys and lifetimes.
 */
import { EnvReader } from '../../config/env-reader.js';
import { SETTINGS } from '../../config/settings.js';
import type { IdentityProvider } from '../../ports/identity-provider.js';
import { IamLoginProvider } from './iam-login-provider.js';
import { KmsTokenSigner, type TokenSigner } from './kms-token-signer.js';
import { RegistryTokens } from './registry-tokens.js';
import { stsCaller, type StsCall } from './sts-caller-identity.js';

export interface IamLoginConfig {
  keyId: string;
  region: string;
  stsEndpoint?: string;
  passwordTtlSeconds: number;
  tokenTtlSeconds: number;
}

/** The configuration, or undefined when IAM login is off (no key). Throws one Error naming every problem. */
export function iamLoginConfigFromEnv(env: NodeJS.ProcessEnv = process.env): IamLoginConfig | undefined {
  const read = new EnvReader(env);
  const keyId = read.optional(SETTINGS['iamLogin.keyId']);
  if (!keyId) return undefined;
  const stsEndpoint = read.optional(SETTINGS['iamLogin.stsEndpoint']);
  const passwordTtlSeconds = read.required(SETTINGS['iamLogin.passwordTtl']);
  const tokenTtlSeconds = read.required(SETTINGS.tokenTtl);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '';
  if (!region) read.problems.push('AWS_REGION is not set (the region of the IAM login key)');
  read.check('IAM login configuration');
  return { keyId, region, passwordTtlSeconds, tokenTtlSeconds, ...(stsEndpoint && { stsEndpoint }) };
}

/** `inner` with IAM login added; `signer` and `sts` replace KMS and STS (tests). */
export function withIamLogin(inner: IdentityProvider, config: IamLoginConfig, parts: { signer?: TokenSigner; sts?: StsCall; now?: () => number } = {}): IamLoginProvider {
  const signer = parts.signer ?? new KmsTokenSigner({ keyId: config.keyId, region: config.region });
  return new IamLoginProvider(inner, {
    tokens: new RegistryTokens(signer, parts.now),
    sts: parts.sts ?? stsCaller(config.stsEndpoint ? { endpoint: config.stsEndpoint } : {}),
    tokenTtlSeconds: config.tokenTtlSeconds,
    passwordTtlSeconds: config.passwordTtlSeconds,
    ...(parts.now && { now: parts.now }),
  });
}
