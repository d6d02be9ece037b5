/**
 * The smoke test's command line against the local harness (http instead of https): everything
 * passes on an open registry; against one whose authorizer refuses every token, the ping still
 * passes (the gateway's challenge), pushing fails and the exit code says so.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunError, run } from '../helpers/exec.js';
import { AUTH_OFF_ENVIRONMENT, startLambdaBackend } from '../helpers/lambda-backend.js';
import { requireRoot, requireTools } from '../helpers/tools.js';
import type { LambdaHarness } from '../harness/harness.js';

const script = fileURLToPath(new URL('../../../scripts/smoke.mjs', import.meta.url));
const skip = requireTools('dockerd', 'docker', 'containerd', 'ctr', 'skopeo', 'umoci', 'tar') || requireRoot('dockerd and containerd');

async function smoke(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [script, ...args], { timeoutMs: 600_000 });
    return { code: 0, stdout };
  } catch (err) {
    if (err instanceof RunError && err.code !== null) return { code: err.code, stdout: err.stdout };
    throw err;
  }
}

const line = (stdout: string, check: string) => stdout.split('\n').find((l) => new RegExp(`^ {2}\\w+ +${check} `).test(l)) ?? `(no ${check} line)`;

describe('npm run smoke against the harness', { skip, timeout: 900_000 }, () => {
  let work = '';
  let open: LambdaHarness;
  let guarded: LambdaHarness;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'stowage-smoke-test-'));
    open = await startLambdaBackend({ dataDir: join(work, 'open') });
    guarded = await startLambdaBackend({ dataDir: join(work, 'guarded'), environment: AUTH_OFF_ENVIRONMENT, authorize: () => 'unauthorized' });
  });
  after(async () => {
    await open?.close();
    await guarded?.close();
    await rm(work, { recursive: true, force: true });
  });

  test('an open registry: ping, skopeo, head, docker, ctr, cloudfront, tags and cleanup pass; token, iam-login and the checks that need --stack are skipped', async () => {
    const { code, stdout } = await smoke([open.url, '--cleanup']);
    assert.equal(code, 0, stdout);
    for (const check of ['ping', 'skopeo', 'head', 'docker', 'ctr', 'cloudfront', 'tags', 'cleanup']) assert.match(line(stdout, check), /^ {2}PASS/, `${check}:\n${stdout}`);
    assert.match(line(stdout, 'token'), /^ {2}SKIP/);
    for (const check of ['stack', 'events', 'gc']) assert.match(line(stdout, check), /^ {2}SKIP +\w+ +no --stack/, `${check}:\n${stdout}`);
    assert.match(line(stdout, 'iam-login'), /^ {2}SKIP +iam-login +the registry asks for no authentication/);
    assert.match(stdout, /8 passed, 0 failed, 5 skipped/);
    // The 6 MiB layers are over the Lambda limit: they went through the upload service.
    const big = open.frontDoor.records.filter((r) => r.origin === 'upload-service' && (r.bodyBytes ?? 0) > 6 * 1024 * 1024);
    assert.ok(big.length >= 3, 'skopeo, docker and ctr each sent a layer to the upload service');
  });

  test("an authorizer that refuses every token: the ping's challenge passes, the push fails, exit code 1", async () => {
    const { code, stdout } = await smoke([guarded.url, '--clients', 'skopeo']);
    assert.equal(code, 1, stdout);
    assert.match(line(stdout, 'ping'), new RegExp(`PASS +ping +GET /v2/ -> 401, Bearer realm="http://${guarded.host}/token"`));
    assert.match(line(stdout, 'skopeo'), /^ {2}FAIL/);
    assert.match(line(stdout, 'docker'), /^ {2}SKIP +docker +not asked for/);
    // No IAM login on the harness (and no policy names the smoker): skipped with its reason, not failed.
    assert.match(line(stdout, 'iam-login'), /^ {2}SKIP +iam-login +(the registry offers no IAM login|no AWS credentials|no IAM policy is configured)/);
  });
});
