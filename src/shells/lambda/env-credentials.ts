/**
 * The AWS SDK's default credential provider, as the Lambda bundles see it: the environment only.
 *
 * Every SDK client's runtime config imports `defaultProvider` from
 * `@aws-sdk/credential-provider-node`, the full chain (environment, SSO, shared ini files,
 * credential_process, web identity, container and instance metadata) with STS and SSO clients of
 * its own: about 90 KB of every bundle, parsed at every cold start. A Lambda never needs it: the
 * runtime injects the execution role's credentials as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 * and AWS_SESSION_TOKEN, which is what `fromEnv` reads. The bundler options
 * (lib/lambda-bundling.ts) alias that package to this module; nothing imports it directly, and
 * the unbundled code (the CLI, the container, the test harness) keeps the SDK's own chain.
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

/** Same name and call shape as the chain's `defaultProvider` (the SDK passes its client config). */
export const defaultProvider = (init: FromEnvInit = {}): AwsCredentialIdentityProvider => fromEnv(init);
