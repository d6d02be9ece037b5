#!/usr/bin/env node
/**
 * `npm run dev:lambda`: the serverless stack on this machine, through the local harness
 * (test/harness/, see docs/local-harness.md): S3 and DynamoDB emulators, the template's Lambda
 * entries behind the API Gateway and CloudFront emulation, and the upload service. Prints the
 * registry URL; docker, skopeo, ctr and podman can push and pull there (127.0.0.1 is plain HTTP
 * to them). Needs the compiled tree (`npm run dev:lambda` compiles first).
 *
 *   node scripts/dev-lambda.mjs [--port 5050] [--host 127.0.0.1] [--auth none|placeholder]
 *                               [--no-upload-service] [--max-name-depth N] [--data-dir DIR] [--quiet]
 *
 * --auth none (default): authorizers and the code's own authentication off, as the test suites
 *   run; --auth placeholder: the gateway's 401 with the challenge for requests without an
 *   Authorization header, any token accepted unverified (there is no Cognito here).
 * --no-upload-service: the stack's `uploadService.enabled: false`: uploads go to the upload
 *   Lambdas (bodies up to about 4.45 MiB; docker and ctr cannot push real layers then).
 * --quiet: the functions' and the upload service's logs go to files in the data dir.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const harnessModule = join(root, 'dist/test/harness/harness.js');
if (!existsSync(harnessModule)) {
  console.error('dev-lambda: dist/ is missing; run `npx tsc -p .` first (npm run dev:lambda does)');
  process.exit(1);
}

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '5050' },
    host: { type: 'string', default: '127.0.0.1' },
    auth: { type: 'string', default: 'none' },
    'no-upload-service': { type: 'boolean', default: false },
    'max-name-depth': { type: 'string' },
    'data-dir': { type: 'string' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(
    'usage: node scripts/dev-lambda.mjs [--port 5050] [--host 127.0.0.1] [--auth none|placeholder] [--no-upload-service] [--max-name-depth N] [--data-dir DIR] [--quiet]',
  );
  process.exit(0);
}
if (args.auth !== 'none' && args.auth !== 'placeholder') {
  console.error(`dev-lambda: --auth is none or placeholder, not "${args.auth}"`);
  process.exit(2);
}

const { startLambdaHarness } = await import(harnessModule);
const { AUTH_OFF_ENVIRONMENT } = await import(join(root, 'dist/test/helpers/lambda-backend.js'));

const registry = {
  ...(args['no-upload-service'] && { uploadService: { enabled: false } }),
  ...(args['max-name-depth'] && { maxNameDepth: Number(args['max-name-depth']) }),
};
const started = Date.now();
const harness = await startLambdaHarness({
  registry,
  host: args.host,
  port: Number(args.port),
  logs: args.quiet ? 'files' : 'inherit',
  ...(args['data-dir'] && { dataDir: resolve(args['data-dir']) }),
  ...(args.auth === 'none' && { authorize: 'none', environment: AUTH_OFF_ENVIRONMENT }),
});

console.log(`
stowage (serverless stack, local harness) ready in ${Date.now() - started} ms

  registry          ${harness.url}          (the CloudFront front door: docker login/push/pull ${harness.host}/...)
  API stage         ${harness.apiUrl}   (execute-api; refuses calls without x-api-key: ${harness.apiKey})
  upload service    ${harness.uploadServiceUrl ?? 'off: uploads go to the upload Lambdas'}
  S3 / DynamoDB     ${harness.emulators.s3Endpoint} / ${harness.emulators.dynamodbEndpoint}
  data and logs     ${harness.dataDir}
  authorizers       ${args.auth === 'none' ? "off (and the code's own auth): anyone may push and pull" : 'PLACEHOLDER: no Authorization header is 401, any token passes unverified'}

  try:  skopeo copy --dest-tls-verify=false oci:LAYOUT:TAG docker://${harness.host}/demo/app:v1
        docker push ${harness.host}/demo/app:v1

Ctrl-C stops everything.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await harness.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
