#!/usr/bin/env node
// `npm run preflight [-- --region REGION]`: what a fresh AWS account still needs before
// `npm run deploy` (src/cli/preflight.ts). Reads only; changes nothing. The region is the one
// `cdk deploy` uses: --region, else -c stowage:region's usual sources (CDK_DEFAULT_REGION,
// AWS_REGION), else us-east-1 (bin/cdk-app.ts's default).
import { parseArgs } from 'node:util';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { queryClient } from '../dist/src/cli/aws-query.js';
import { preflight, preflightReport } from '../dist/src/cli/preflight.js';

const { values } = parseArgs({ options: { region: { type: 'string' }, endpoint: { type: 'string' } } });
const region = values.region ?? process.env.CDK_DEFAULT_REGION ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
const call = queryClient({ region, credentials: defaultProvider(), ...(values.endpoint && { endpoint: values.endpoint }) });
try {
  const { text, exitCode } = preflightReport(await preflight(call, region));
  process.stdout.write(`Stowage preflight for ${region}\n${text}`);
  process.exit(exitCode);
} catch (err) {
  process.stderr.write(`preflight: ${err instanceof Error ? err.message : err}\n`);
  process.exit(2);
}
