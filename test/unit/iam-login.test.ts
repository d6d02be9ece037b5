/**
 * IAM login's pure rules: what a signed STS request may be (src/adapters/aws/sts-login-request.ts),
 * role sessions as their roles, the policy's `iam` patterns (and that `authenticated: true`
 * never takes an IAM identity in), KMS's DER signatures as JWS signatures, and the answer of a
 * registry without IAM login (the embedded server): 501 naming why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedAuth } from '../../src/adapters/embedded/auth.js';
import { MemoryLoginLimiter } from '../../src/adapters/embedded/login-limiter.js';
import { derToJose } from '../../src/adapters/aws/kms-token-signer.js';
import { principalArn } from '../../src/adapters/aws/sts-caller-identity.js';
import { checkStsLoginRequest } from '../../src/adapters/aws/sts-login-request.js';
import { encodeSignedRequest, IAM_GRANT_TYPE, IAM_REQUEST_FIELD } from '../../src/core/auth/iam-login.js';
import { Policy } from '../../src/core/auth/policy.js';
import type { Principal } from '../../src/core/auth/principal.js';
import { tokenEndpoint } from '../../src/core/auth/token-endpoint.js';
import { signStsLoginRequest } from '../../src/cli/login-command.js';
import { LoginRefused } from '../../src/ports/token-issuer.js';

const CREDENTIALS = { accessKeyId: 'AKIAUNITTEST00000001', secretAccessKey: 'unit-secret-0123456789abcdef0123456789abc' };
const NOW = Date.UTC(2026, 11, 2, 8, 0, 0);

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof LoginRefused, String(err));
    return err.message;
  }
  assert.fail('not refused');
};

test('a signed request is accepted only as sts:GetCallerIdentity to an STS host, bound to this registry, within 15 minutes', async () => {
  const good = await signStsLoginRequest({ credentials: CREDENTIALS, region: 'eu-west-1', serverId: 'registry.example.com', signingDate: new Date(NOW) });
  assert.equal(checkStsLoginRequest(good, 'registry.example.com', NOW).host, 'sts.eu-west-1.amazonaws.com');
  const global = await signStsLoginRequest({ credentials: CREDENTIALS, region: undefined, serverId: 'r', signingDate: new Date(NOW) });
  assert.equal(checkStsLoginRequest(global, 'r', NOW).host, 'sts.amazonaws.com');

  assert.match(
    refusal(() => checkStsLoginRequest(good, 'other.example.com', NOW)),
    /bound to registry "registry\.example\.com"/,
  );
  assert.match(
    refusal(() => checkStsLoginRequest(good, 'registry.example.com', NOW + 16 * 60_000)),
    /signature expired/,
  );
  assert.match(
    refusal(() => checkStsLoginRequest(good, 'registry.example.com', NOW - 16 * 60_000)),
    /ahead: check the clock/,
  );
  for (const url of [
    'https://sts.amazonaws.com.evil.example/',
    'http://sts.amazonaws.com/',
    'https://sts.amazonaws.com:8443/',
    'https://127.0.0.1/',
    'https://s3.amazonaws.com/',
  ]) {
    assert.match(
      refusal(() => checkStsLoginRequest({ ...good, url }, 'registry.example.com', NOW)),
      /not to an STS endpoint/,
      url,
    );
  }
  assert.match(
    refusal(() => checkStsLoginRequest({ ...good, url: 'https://sts.eu-west-1.amazonaws.com/?Action=AssumeRole' }, 'registry.example.com', NOW)),
    /without a query string/,
  );
  assert.match(
    refusal(() => checkStsLoginRequest({ ...good, method: 'GET' }, 'registry.example.com', NOW)),
    /not the POST/,
  );
  assert.match(
    refusal(() => checkStsLoginRequest({ ...good, body: `${good.body}&RoleArn=x` }, 'registry.example.com', NOW)),
    /only sts:GetCallerIdentity/,
  );
  assert.match(
    refusal(() => checkStsLoginRequest({ ...good, headers: { ...good.headers, host: 'sts.amazonaws.com' } }, 'registry.example.com', NOW)),
    /not the URL's host/,
  );
  const unbound = { ...good, headers: { ...good.headers, authorization: good.headers.authorization!.replace(';x-stowage-server-id', '') } };
  assert.match(
    refusal(() => checkStsLoginRequest(unbound, 'registry.example.com', NOW)),
    /does not cover the x-stowage-server-id header/,
  );
  const s3 = { ...good, headers: { ...good.headers, authorization: good.headers.authorization!.replace('/sts/', '/s3/') } };
  assert.match(
    refusal(() => checkStsLoginRequest(s3, 'registry.example.com', NOW)),
    /signed for the s3 service/,
  );
});

test('a role session is matched as its role; users as themselves', () => {
  assert.equal(principalArn('arn:aws:sts::123456789012:assumed-role/codebuild-app/AWSCodeBuild-1'), 'arn:aws:iam::123456789012:role/codebuild-app');
  assert.equal(principalArn('arn:aws-cn:sts::123456789012:assumed-role/r/s'), 'arn:aws-cn:iam::123456789012:role/r');
  assert.equal(principalArn('arn:aws:iam::123456789012:user/ci/bot'), 'arn:aws:iam::123456789012:user/ci/bot');
});

test("the policy's iam patterns name IAM identities; `authenticated: true` never does; a wildcard account is refused", () => {
  const policy = Policy.fromDocument({
    version: 1,
    rules: [
      { principals: { iam: ['arn:aws:iam::123456789012:role/build-*'] }, repositories: ['ci/**'], actions: ['push', 'pull'] },
      { principals: { authenticated: true }, repositories: ['**'], actions: ['*'] },
    ],
  });
  const iam = (arn: string): Principal => ({ subject: arn, kind: 'iam', groups: [], clientId: null, scopes: [], grant: { kind: 'unrestricted' } });
  assert.ok(policy.allows(iam('arn:aws:iam::123456789012:role/build-app'), 'ci/app', 'push'));
  assert.ok(!policy.allows(iam('arn:aws:iam::123456789012:role/build-app'), 'team/app', 'pull'));
  assert.ok(!policy.allows(iam('arn:aws:iam::999999999999:role/build-app'), 'ci/app', 'pull'));
  assert.ok(policy.namesPrincipal(iam('arn:aws:iam::123456789012:role/build-x')));
  assert.ok(!policy.namesPrincipal(iam('arn:aws:iam::123456789012:user/alice')));
  assert.throws(() => Policy.fromDocument({ version: 1, rules: [{ principals: { iam: ['arn:aws:iam::*:role/ci'] }, repositories: ['**'], actions: ['*'] }] }), /12-digit account/);
});

test("KMS's DER ECDSA signatures become JWS r||s signatures that verify", () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (let i = 0; i < 50; i++) {
    const message = Buffer.from(`message ${i}`);
    const jose = derToJose(sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }));
    assert.equal(jose.length, 64);
    assert.ok(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose));
  }
});

test('a registry without IAM login (the embedded server) answers 501 saying IAM login is the AWS deployment’s', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stowage-iam-'));
  try {
    const auth = await createEmbeddedAuth({ dataDir, realm: 'http://127.0.0.1:5000/token', service: '127.0.0.1:5000' });
    const signed = await signStsLoginRequest({ credentials: CREDENTIALS, region: undefined, serverId: '127.0.0.1:5000' });
    const form = new URLSearchParams({ grant_type: IAM_GRANT_TYPE, [IAM_REQUEST_FIELD]: encodeSignedRequest(signed) }).toString();
    const outcome = await tokenEndpoint(
      { ...auth, limiter: new MemoryLoginLimiter() },
      {
        method: 'POST',
        query: new URLSearchParams(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: (async function* () {
          yield Buffer.from(form);
        })(),
        clientAddress: '127.0.0.1',
      },
    );
    assert.equal(outcome.response.status, 501);
    assert.match(outcome.error?.message ?? '', /no IAM login \(stowage login\).*never of the embedded server/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
