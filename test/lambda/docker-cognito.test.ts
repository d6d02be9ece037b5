/**
 * docker login, push and pull through the local harness of the serverless stack (test/harness/:
 * CloudFront behaviours, API Gateway, the Lambda entries in worker threads, the upload service),
 * with the token flow against Cognito: people on cognito-local (InitiateAuth), the machine
 * client on LocalOAuth2TokenEndpoint (the client-credentials grant cognito-local lacks, signing
 * with the pool's key). The harness's authorizer hook verifies tokens as API Gateway's Cognito
 * authorizer does and runs the stack's own anonymous-pull authorizer; everything else is the
 * stack as synthesized, with `anonymousPull` on and a policy:
 *
 *   team-a/**, public/**  people in the Cognito group team-a: pull, push
 *   ci/**                 the machine client `ci`: pull, push
 *   public/**             anyone: pull
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePolicyText } from '../../src/core/auth/policy-file.js';
import { startLambdaHarness, type LambdaHarness } from '../harness/harness.js';
import { COGNITO_LOCAL_PRIVATE_JWK, createTestPool, createTestUser, startCognitoLocal, type CognitoLocal, type TestPool } from '../helpers/cognito-local.js';
import { cognitoAuthorizeHook } from '../helpers/cognito-authorizer-hook.js';
import { startDockerd, type RunningDockerd } from '../helpers/dockerd.js';
import { withLogsOnFailure } from '../helpers/exec.js';
import { buildTestImage, ociLayoutToDockerArchive } from '../helpers/images.js';
import { startLocalOAuth2TokenEndpoint, type LocalOAuth2TokenEndpoint } from '../helpers/local-oauth2-token-endpoint.js';
import { requireRoot, requireTools } from '../helpers/tools.js';
import { removeWorkDir } from '../e2e/support.js';

const skip = requireTools('dockerd', 'docker', 'skopeo', 'umoci') || requireRoot('dockerd');
const PASSWORD = 'Correct-Horse-9';
const CI_ID = 'ci';
const CI_SECRET = 'ci-secret-0123456789abcdef0123456789abcdef';
const LOCAL_REF = 'e2e/cognito-src:v1';
const POLICY = `version: 1
anonymous:
  pull: ["public/**"]
rules:
  - principals:
      groups: [team-a]
    repositories: ["team-a/**", "public/**"]
    actions: [pull, push]
  - principals:
      clients: [ci]
    repositories: ["ci/**"]
    actions: [pull, push]
`;

describe('docker login and push through the Lambda harness with Cognito tokens', { skip, timeout: 600_000 }, () => {
  let work = '';
  let cognito: CognitoLocal;
  let pool: TestPool;
  let oauth: LocalOAuth2TokenEndpoint;
  let harness: LambdaHarness | undefined;
  let dockerd: RunningDockerd | undefined;

  const docker = (args: string[], input?: string) => dockerd!.docker(args, input === undefined ? {} : { input });
  const refused = async (args: string[], input?: string) => {
    const r = await docker(args, input).then(
      () => null,
      (err: Error) => err.message,
    );
    assert.ok(r !== null, `docker ${args.join(' ')} should fail`);
    return r;
  };
  const step = <R>(fn: () => Promise<R>) =>
    withLogsOnFailure(() => [...(harness ? [join(harness.dataDir, 'lambda.log'), join(harness.dataDir, 'upload-service.log')] : []), ...(dockerd ? [dockerd.logFile] : [])], fn);
  const ref = (name: string) => `${harness!.host}/${name}`;
  /** The registry Lambdas' audit lines (their CloudWatch log here is lambda.log). */
  const audits = async () =>
    (await readFile(join(harness!.dataDir, 'lambda.log'), 'utf8'))
      .split('\n')
      .filter((l) => l.includes('"audit":"stowage"'))
      .map(
        (l) =>
          JSON.parse(l.slice(l.indexOf('{'))) as {
            principal: string | null;
            operation: string;
            repository: string | null;
            status: number;
            error: string | null;
            claimedPrincipal: string | null;
          },
      );

  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), 'stowage-docker-cognito-'));
      cognito = await startCognitoLocal();
      pool = await createTestPool(cognito);
      await createTestUser(cognito, pool.userPoolId, 'alice', PASSWORD, ['team-a']);
      await createTestUser(cognito, pool.userPoolId, 'bob', PASSWORD);
      oauth = await startLocalOAuth2TokenEndpoint({
        clients: [{ clientId: CI_ID, clientSecret: CI_SECRET, scopes: ['stowage/pull', 'stowage/push', 'stowage/delete'] }],
        signWith: { privateJwk: COGNITO_LOCAL_PRIVATE_JWK, issuer: pool.issuer },
      });
      const clientIds = [pool.userClientId, CI_ID];
      harness = await startLambdaHarness({
        registry: { anonymousPull: true, policy: POLICY },
        dataDir: join(work, 'harness'),
        authorize: cognitoAuthorizeHook({ userPoolId: pool.userPoolId, issuer: pool.issuer, clientIds, policy: parsePolicyText(POLICY) }),
        // The template names the stack's pool, clients and Cognito domain; here they are cognito-local's
        // and the local OAuth2 endpoint's (every other variable is the template's).
        environment: {
          STOWAGE_COGNITO_USER_POOL_ID: pool.userPoolId,
          STOWAGE_COGNITO_CLIENT_IDS: clientIds.join(','),
          STOWAGE_COGNITO_USER_CLIENT_ID: pool.userClientId,
          STOWAGE_COGNITO_OAUTH_TOKEN_URL: oauth.tokenUrl,
          STOWAGE_COGNITO_ISSUER: pool.issuer,
          STOWAGE_COGNITO_REGION: 'us-east-1',
          AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: cognito.endpoint,
        },
      });
      const image = await buildTestImage(join(work, 'image'), { layers: 2, layerSizeBytes: 6 * 1024 * 1024 + 17, tag: 'v1' });
      const archive = join(work, 'image.docker.tar');
      await ociLayoutToDockerArchive(image.layoutDir, image.tag, archive, LOCAL_REF);
      dockerd = await startDockerd(join(work, 'dockerd'));
      await step(() => docker(['load', '-i', archive]));
    },
    { timeout: 300_000 },
  );

  after(async () => {
    try {
      await dockerd?.stop();
    } finally {
      await harness?.close();
      await oauth?.stop();
      await cognito?.stop();
      await removeWorkDir(work);
    }
  });

  test('a person: a wrong password is refused; docker login, push (layers over the Lambda limit: the upload service), pull', () =>
    step(async () => {
      const wrong = await refused(['login', harness!.host, '-u', 'alice', '--password-stdin'], 'Wrong-Horse-9\n');
      assert.match(wrong, /unauthorized|invalid username or password/i);
      await docker(['login', harness!.host, '-u', 'alice', '--password-stdin'], `${PASSWORD}\n`);
      await docker(['tag', LOCAL_REF, ref('team-a/app:v1')]);
      const pushed = await docker(['push', ref('team-a/app:v1')]);
      assert.match(pushed.stdout, /v1: digest: sha256:[0-9a-f]{64}/);
      await docker(['rmi', ref('team-a/app:v1')]);
      await docker(['pull', ref('team-a/app:v1')]);
      const lines = await audits();
      assert.ok(
        lines.some((a) => a.operation === 'token' && a.claimedPrincipal === 'alice' && a.status === 401),
        'the failed login is audited',
      );
      assert.ok(
        lines.some((a) => a.operation === 'putManifest' && a.principal === 'alice' && a.repository === 'team-a/app' && a.status === 201),
        'the push ran as alice',
      );
      // The layers (over the Lambda's 4.5 MiB) went to the upload service, which verified alice's token itself.
      const uploads = (await readFile(join(harness!.dataDir, 'upload-service', 'audit.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { principal: string; operation: string; status: number });
      assert.ok(
        uploads.some((a) => a.operation === 'patchUpload' && a.principal === 'alice' && a.status === 202),
        JSON.stringify(uploads.slice(0, 3)),
      );
    }));

  test('a person pushing where the policy does not let them: denied (403 from the core, not a gateway 401); publishing where it does', () =>
    step(async () => {
      await docker(['tag', LOCAL_REF, ref('team-b/app:v1')]);
      const out = await refused(['push', ref('team-b/app:v1')]);
      assert.match(out, /denied/i);
      assert.ok(
        (await audits()).some((a) => a.principal === 'alice' && a.repository === 'team-b/app' && a.status === 403 && a.error === 'DENIED'),
        'refused by the core: 403 DENIED, audited',
      );
      await docker(['tag', LOCAL_REF, ref('public/base:v1')]);
      await docker(['push', ref('public/base:v1')]);
    }));

  test('a machine: docker login -u <client id> -p <secret>, push and pull within its repositories, nothing beyond', () =>
    step(async () => {
      await docker(['logout', harness!.host]);
      await refused(['login', harness!.host, '-u', CI_ID, '--password-stdin'], 'not-the-secret\n');
      await docker(['login', harness!.host, '-u', CI_ID, '-p', CI_SECRET]);
      await docker(['tag', LOCAL_REF, ref('ci/app:build-1')]);
      const pushed = await docker(['push', ref('ci/app:build-1')]);
      assert.match(pushed.stdout, /build-1: digest: sha256:/);
      await docker(['rmi', ref('ci/app:build-1')]);
      await docker(['pull', ref('ci/app:build-1')]);
      const calls = oauth.issued.get(CI_ID) ?? 0;
      assert.ok(calls <= 3, `the token cache spares Cognito calls (${calls} token requests for a login, a push and a pull)`);
      await docker(['tag', LOCAL_REF, ref('team-a/ci-was-here:v1')]);
      assert.match(await refused(['push', ref('team-a/ci-was-here:v1')]), /denied/i);
      const lines = await audits();
      assert.ok(
        lines.some((a) => a.operation === 'putManifest' && a.principal === CI_ID && a.repository === 'ci/app' && a.status === 201),
        'the push ran as the machine client',
      );
    }));

  test('anonymous, after logout: the public repository can be pulled, a private one cannot', () =>
    step(async () => {
      await docker(['logout', harness!.host]);
      for (const r of ['public/base:v1', 'team-a/app:v1']) await docker(['rmi', ref(r)]).catch(() => undefined);
      await docker(['pull', ref('public/base:v1')]);
      const out = await refused(['pull', ref('team-a/app:v1')]);
      assert.match(out, /denied|unauthorized|authentication required/i);
    }));
});
