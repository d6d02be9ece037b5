/**
 * The Lambda bundles replace the AWS SDK's default credential chain with the environment provider
 * (lib/lambda-bundling.ts aliases @aws-sdk/credential-provider-node to
 * src/shells/lambda/env-credentials.ts). These tests fail if the alias stops taking effect (an SDK
 * release that imports its chain from elsewhere) or if the replacement stops reading what the
 * Lambda runtime injects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import { LAMBDA_ALIASES, LAMBDA_ESBUILD_OPTIONS } from '../../lib/lambda-bundling.js';
import { defaultProvider } from '../../src/shells/lambda/env-credentials.js';

test('the replacement provider reads the credentials Lambda puts in the environment', async () => {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' });
    const identity = await defaultProvider()();
    assert.equal(identity.accessKeyId, 'AKIDEXAMPLE');
    assert.equal(identity.secretAccessKey, 'secret');
    assert.equal(identity.sessionToken, 'session');
    delete process.env.AWS_ACCESS_KEY_ID;
    await assert.rejects(defaultProvider()(), 'no credentials in the environment: no silent fallback to another source');
  } finally {
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
});

test('an SDK client bundled with the Lambda options carries the environment provider, not the default chain', async () => {
  for (const target of Object.values(LAMBDA_ALIASES)) assert.ok(existsSync(target), `alias target ${target} exists`);
  const result = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    sourcemap: false,
    stdin: { contents: "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; export const client = new DynamoDBClient({});", resolveDir: process.cwd(), loader: 'js' },
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile?.inputs ?? {});
  assert.ok(
    inputs.some((f) => f.endsWith('src/shells/lambda/env-credentials.ts')),
    'the replacement is bundled',
  );
  const chain = inputs.filter((f) => /@aws-sdk\/credential-provider-(node|ini|sso|process|web-identity)\//.test(f));
  assert.deepEqual(chain, [], 'no piece of the default chain is bundled');
});
