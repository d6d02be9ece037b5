/**
 * `stowage serve` on the AWS adapters, configured the way an operator does it: flags plus the
 * AWS SDK's standard environment (AWS_ENDPOINT_URL_S3 / _DYNAMODB, region, credentials), here
 * pointing at emulators. Misconfiguration must stop the server at start with one clear line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAwsEmulators, type AwsEmulators } from '../helpers/aws-emulators.js';
import { serveChild, type ServedChild } from '../helpers/serve-child.js';

let aws: AwsEmulators;
let home: string;
before(async () => {
  aws = await startAwsEmulators();
  home = await mkdtemp(join(tmpdir(), 'stowage-serve-aws-'));
});
after(async () => {
  await aws.stop();
  await rm(home, { recursive: true, force: true });
});

/** The environment of a machine with nothing but what we give it (no IMDS lookups, no ~/.aws). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'), ...extra };
}

/** Runs `stowage serve ARGS` on a free port with the data dir of this test. */
function serve(args: string[], env: NodeJS.ProcessEnv): Promise<ServedChild> {
  return serveChild(['--port', '0', '--data-dir', join(home, 'data'), ...args], env);
}

const AWS_FLAGS = ['--storage', 's3', '--s3-force-path-style', '--metadata', 'dynamodb', '--dynamodb-table', 'registry'];

test('serve --storage s3 --metadata dynamodb --create-resources creates the bucket and table and serves pushes and pulls', async () => {
  const started = await serve([...AWS_FLAGS, '--s3-bucket', 'created', '--create-resources'], cleanEnv(aws.env));
  try {
    assert.ok(started.url, `the server started: ${started.stderr}`);
    assert.equal((await fetch(`${started.url}/v2/`)).status, 200);
    const session = await fetch(`${started.url}/v2/cli/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(session.status, 202);
    assert.equal(session.headers.get('oci-chunk-min-length'), String(5 * 1024 * 1024), "the upload service advertises S3's part minimum");
    const blob = Buffer.from('hello from S3');
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const push = await fetch(`${started.url}/v2/cli/app/blobs/uploads/?digest=${digest}`, { method: 'POST', body: blob });
    assert.equal(push.status, 201);
    const pull = await fetch(`${started.url}/v2/cli/app/blobs/${digest}`, { redirect: 'manual' });
    assert.equal(pull.status, 307, 'blob GETs are redirected to S3');
    const bytes = Buffer.from(await (await fetch(pull.headers.get('location') as string)).arrayBuffer());
    assert.ok(bytes.equals(blob));
  } finally {
    await started.stop();
  }
});

for (const [what, args, env, message, code] of [
  ['a missing bucket', [...AWS_FLAGS, '--s3-bucket', 'absent'], () => aws.env, /S3 bucket absent does not exist \(create it, or pass --create-resources\)/, 1],
  [
    'a missing table',
    ['--storage', 's3', '--s3-force-path-style', '--s3-bucket', 'created', '--metadata', 'dynamodb', '--dynamodb-table', 'absent-table'],
    () => aws.env,
    /DynamoDB table absent-table does not exist/,
    1,
  ],
  ['no credentials', [...AWS_FLAGS, '--s3-bucket', 'created'], () => ({ ...aws.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }), /no AWS credentials found/, 1],
  // A refused configuration is a usage error.
  ['s3 storage without a bucket', ['--storage', 's3'], () => aws.env, /--storage s3 needs --s3-bucket/, 2],
] as const) {
  test(`serve fails at start with one clear line on ${what}`, async () => {
    const extra = { ...env() } as Record<string, string>;
    for (const [k, v] of Object.entries(extra)) if (v === '') delete extra[k];
    const started = await serve([...args], cleanEnv(extra));
    await started.stop();
    assert.equal(started.url, undefined, 'the server must not start');
    assert.equal(started.code, code);
    const lines = started.stderr
      .split('\n')
      .filter(
        (l) =>
          l.trim() &&
          !/NodeVersionSupportWarning|versions published|require node|continue receiving|security updates|upgrade to node|More information|trace-warnings|^\s*$/.test(l),
      );
    assert.equal(lines.length, 1, `one line, got:\n${started.stderr}`);
    assert.match(lines[0] ?? '', message);
  });
}
