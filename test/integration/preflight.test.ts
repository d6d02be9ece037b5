/**
 * `npm run preflight`: the checks on a stubbed Query boundary (a fresh account, a ready one, no
 * credentials), and the script itself against a local endpoint standing in for STS, IAM and
 * CloudFormation, which checks that each request is a SigV4-signed Query call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { QueryCall } from '../../src/cli/aws-query.js';
import { preflight, preflightReport } from '../../src/cli/preflight.js';

const SCRIPT = fileURLToPath(new URL('../../../scripts/preflight.mjs', import.meta.url));
const IDENTITY =
  '<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>';
const error = (code: string, message: string) => `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error></ErrorResponse>`;
const stackXml = (status: string) =>
  `<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>CDKToolkit</StackName><StackStatus>${status}</StackStatus></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`;

/** An account as a Query boundary: which calls succeed. */
function account(a: { credentials: boolean; ecsRole: boolean; bootstrapped: string[] }): { call: QueryCall; calls: string[] } {
  const calls: string[] = [];
  const call: QueryCall = async (service, action, params, region) => {
    calls.push(`${service}:${action}${region ? `@${region}` : ''}`);
    if (!a.credentials) return { status: 403, body: error('InvalidClientTokenId', 'The security token included in the request is invalid.') };
    if (action === 'GetCallerIdentity') return { status: 200, body: IDENTITY };
    if (action === 'GetRole')
      return a.ecsRole ? { status: 200, body: '<GetRoleResponse/>' } : { status: 404, body: error('NoSuchEntity', `The role with name ${params?.RoleName} cannot be found.`) };
    if (action === 'DescribeStacks') {
      return a.bootstrapped.includes(region ?? '')
        ? { status: 200, body: stackXml('UPDATE_COMPLETE') }
        : { status: 400, body: error('ValidationError', 'Stack with id CDKToolkit does not exist') };
    }
    return { status: 400, body: error('InvalidAction', action) };
  };
  return { call, calls };
}

test('a fresh account: the ECS role and both bootstrap stacks are missing, each with the command that fixes it', async () => {
  const { call } = account({ credentials: true, ecsRole: false, bootstrapped: [] });
  const { text, exitCode } = preflightReport(await preflight(call, 'eu-west-1'));
  assert.equal(exitCode, 1);
  assert.match(text, /ok {6}AWS credentials: account 123456789012 as arn:aws:iam::123456789012:user\/ci/);
  assert.match(text, /MISSING ECS service-linked role: .*aws iam create-service-linked-role --aws-service-name ecs\.amazonaws\.com/);
  assert.match(text, /MISSING CDK bootstrap in eu-west-1: .*npx cdk bootstrap aws:\/\/123456789012\/eu-west-1/);
  assert.match(text, /MISSING CDK bootstrap in us-east-1: missing \(the Lambda@Edge function deploys here\): npx cdk bootstrap aws:\/\/123456789012\/us-east-1/);
  assert.match(text, /3 thing\(s\) to fix/);
});

test('a ready account passes; in us-east-1 one bootstrap stack is enough; without credentials nothing else is asked', async () => {
  const ready = account({ credentials: true, ecsRole: true, bootstrapped: ['us-east-1'] });
  const r = preflightReport(await preflight(ready.call, 'us-east-1'));
  assert.equal(r.exitCode, 0, r.text);
  assert.deepEqual(ready.calls, ['sts:GetCallerIdentity', 'iam:GetRole', 'cloudformation:DescribeStacks@us-east-1']);

  const none = account({ credentials: false, ecsRole: true, bootstrapped: [] });
  const n = preflightReport(await preflight(none.call, 'eu-west-1'));
  assert.equal(n.exitCode, 1);
  assert.match(n.text, /MISSING AWS credentials: STS GetCallerIdentity answered 403 \(InvalidClientTokenId\)/);
  assert.deepEqual(none.calls, ['sts:GetCallerIdentity']);
});

test('npm run preflight against a local endpoint: SigV4-signed Query calls with the environment credentials', async () => {
  const seen: { action: string; scope: string }[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const form = new URLSearchParams(body);
    const auth = String(req.headers.authorization ?? '');
    // Credential=AKID/DATE/REGION/SERVICE/aws4_request, with the signed headers and a signature.
    const m = /^AWS4-HMAC-SHA256 Credential=AKIDPREFLIGHT\/\d{8}\/([a-z0-9-]+\/[a-z]+)\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/.exec(auth);
    if (req.method !== 'POST' || !m || !req.headers['x-amz-date']) {
      res.writeHead(403).end(error('IncompleteSignature', 'unsigned'));
      return;
    }
    seen.push({ action: String(form.get('Action')), scope: m[1]! });
    if (form.get('Action') === 'GetCallerIdentity') res.writeHead(200).end(IDENTITY);
    else if (form.get('Action') === 'GetRole') res.writeHead(200).end('<GetRoleResponse/>');
    else res.writeHead(200).end(stackXml('CREATE_COMPLETE'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const child = spawn(process.execPath, [SCRIPT, '--region', 'eu-west-1', '--endpoint', endpoint], {
      env: { PATH: process.env.PATH, AWS_ACCESS_KEY_ID: 'AKIDPREFLIGHT', AWS_SECRET_ACCESS_KEY: 'secret', HOME: '/nonexistent' },
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.equal(code, 0, out);
    assert.match(out, /Ready to deploy/);
    assert.deepEqual(seen, [
      { action: 'GetCallerIdentity', scope: 'eu-west-1/sts' },
      { action: 'GetRole', scope: 'us-east-1/iam' },
      { action: 'DescribeStacks', scope: 'eu-west-1/cloudformation' },
      { action: 'DescribeStacks', scope: 'us-east-1/cloudformation' },
    ]);
  } finally {
    server.close();
  }
});
