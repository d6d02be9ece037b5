/**
 * The `lambda` test backend: the registry as the serverless stack serves it, through the local
 * harness (test/harness/): CloudFront behaviours, API Gateway, the operations' Lambda entries,
 * the upload service, on S3 and DynamoDB emulators. The conformance and client suites run
 * without authentication on every backend, so here authorizers are off (`authorize: 'none'`)
 * and so is the code's own authentication (AUTH_OFF_ENVIRONMENT); the API key check, routing,
 * limits and header renaming are all in effect.
 */
import { startLambdaHarness, type LambdaHarness, type LambdaHarnessOptions } from '../harness/harness.js';

/** The containers' environment without authentication (what `--auth none` is for `stowage serve`). */
export const AUTH_OFF_ENVIRONMENT: Record<string, string | null> = {
  STOWAGE_AUTH: 'none',
  STOWAGE_REALM: null,
  STOWAGE_SERVICE: null,
  STOWAGE_POLICY_DOCUMENT: null,
};

/** A harness for the suites: no auth, logs in `dataDir`. */
export function startLambdaBackend(options: { dataDir: string } & Partial<LambdaHarnessOptions>): Promise<LambdaHarness> {
  return startLambdaHarness({ authorize: 'none', logs: 'files', ...options, environment: { ...AUTH_OFF_ENVIRONMENT, ...options.environment } });
}
