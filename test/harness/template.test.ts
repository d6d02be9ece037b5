/**
 * What the harness reads from the synthesized template: each integration's function and the
 * source file it runs, the containers' environments (Refs resolved to the emulators' names, the
 * public host localized, overrides), the upload service behind the VPC origin, the intrinsics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { METHOD_NOT_ALLOWED_OPERATION } from '../../lib/api.js';
import { ROUTES } from '../../src/core/routes.js';
import { blobResponseFunctionCode } from '../../lib/edge/blob-response.js';
import { resolveDynamicReferences, resolveValue, type Resolver } from './cfn.js';
import { containerEnvironment, stackModels } from './harness.js';
import { localizePublicHost, PUBLIC_HOST_STAND_IN } from './local-names.js';
import { serveConfigProblem } from './upload-service.js';

const models = stackModels();
const { api, names, synthesized } = models;

test("every method integrates a function whose source is its operation's lambdas/ entry, compiled in dist/", () => {
  const seen = new Set<string>();
  for (const m of api.methods) {
    const source = synthesized.functionSource(m.functionId);
    // The ANY methods (405 for a method a route lacks) run on the ping's function.
    const operation = m.operationName === METHOD_NOT_ALLOWED_OPERATION ? 'ping' : m.operationName;
    assert.equal(source.entry, `lambdas/${operation}.ts`, `${m.httpMethod} ${m.resourcePath}`);
    assert.ok(existsSync(source.compiledModule), source.compiledModule);
    seen.add(source.entry);
  }
  assert.ok(seen.has('lambdas/token.ts') && seen.has('lambdas/getBlob.ts'));
  const operations = new Set(ROUTES.map((r) => r.operation));
  assert.equal(seen.size, operations.size + 1, `every operation of the route table (${operations.size}) and the token endpoint`);
});

test("a function's environment: the template's, with the bucket and table the harness creates, and overrides", () => {
  const fn = api.methods.find((m) => m.operationName === 'putManifest')!;
  const variables = synthesized.template.Resources[fn.functionId]?.Properties?.Environment as { Variables: Record<string, unknown> };
  const env = containerEnvironment(variables.Variables, { STOWAGE_AUTH: 'none', STOWAGE_POLICY_DOCUMENT: null, EXTRA: '1' }, (v, k) =>
    localizePublicHost(String(resolveValue(v, names.resolver, k)), { scheme: 'http', hostPort: '127.0.0.1:5050' }),
  );
  assert.equal(env.STOWAGE_S3_BUCKET, [...names.buckets.values()][0]);
  assert.equal(env.STOWAGE_DYNAMODB_TABLE, [...names.tables.values()][0]);
  assert.equal(env.STOWAGE_AUTH, 'none', 'overridden');
  assert.equal(env.EXTRA, '1', 'added');
  assert.ok(!('STOWAGE_POLICY_DOCUMENT' in env), 'removed');
  assert.match(env.STOWAGE_COGNITO_USER_POOL_ID ?? '', /^eu-west-1_[0-9a-f]{9}$/, 'a user pool id of the right shape');
});

test('the upload service: the task definition behind the VPC origin, its realm on the front door', () => {
  const origin = models.frontDoor.behaviors.find((b) => b.origin.kind === 'upload-service')?.origin;
  assert.ok(origin?.kind === 'upload-service');
  assert.deepEqual(
    origin.rules.map((r) => r.pathPatterns),
    [['/v2/*/blobs/uploads/*']],
  );
  assert.equal(origin.defaultResponse.status, 404);
  assert.equal(origin.service.containerPort, 5000);
  assert.equal(origin.service.healthCheckPath, '/readyz');
  assert.deepEqual(origin.service.healthyCodes, [200]);
  const env = containerEnvironment(origin.service.environment, {}, (v, k) =>
    localizePublicHost(String(resolveValue(v, names.resolver, k)), { scheme: 'http', hostPort: '127.0.0.1:5050' }),
  );
  assert.equal(env.STOWAGE_REALM, 'http://127.0.0.1:5050/token', 'https://<distribution>/token, localized');
  assert.equal(env.STOWAGE_STORAGE, 's3');
  assert.equal(serveConfigProblem(env), undefined, 'stowage serve starts with the deployed environment');
});

test('an environment stowage serve refuses is reported as the problem it would be on AWS', () => {
  const problem = serveConfigProblem({ STOWAGE_HOST: '0.0.0.0', STOWAGE_STORAGE: 's3', STOWAGE_METADATA: 'dynamodb', STOWAGE_S3_BUCKET: 'b', STOWAGE_DYNAMODB_TABLE: 'tbl' });
  assert.match(problem ?? '', /would not start on AWS.*0\.0\.0\.0/);
});

test('with the upload service off, no VPC origin: every registry behaviour goes to the API, blob content to the bucket', () => {
  const off = stackModels({ registry: { uploadService: { enabled: false } } });
  assert.deepEqual(
    off.frontDoor.behaviors.map((b) => [b.pathPattern, b.origin.kind]),
    [
      ['/v2/*/blobs/uploads/*', 'api'],
      ['/content/*', 's3'],
      ['*', 'api'],
    ],
  );
  const api = off.frontDoor.behaviors.filter((b) => b.origin.kind === 'api');
  assert.ok(
    api.every((b) => b.originResponseEdge),
    'the restore runs on the upload behaviour too',
  );
  const blobs = off.frontDoor.behaviors.find((b) => b.origin.kind === 's3');
  assert.equal(blobs?.forwardsAuthorization, false, 'Authorization never reaches S3');
  assert.equal(blobs?.viewerResponseCode, blobResponseFunctionCode(), "the template holds lib/edge's blob response function");
  assert.equal(blobs?.originResponseEdge, false);
});

test('other props show in the model: the fixed route shape, stage name', () => {
  const m = stackModels({ registry: { stageName: 'v0' } });
  assert.equal(m.api.stageName, 'v0');
  assert.ok(m.api.methods.some((x) => x.resourcePath === '/v2/_r/tags/list'));
  assert.ok(!m.api.methods.some((x) => x.resourcePath.includes('{n1}')), 'no per-depth resources');
  const apiOrigin = m.frontDoor.behaviors.find((b) => b.pathPattern === '*')?.origin;
  assert.equal(apiOrigin?.kind === 'api' && apiOrigin.originPath, '/v0');
});

test('intrinsics: Ref, GetAtt, Join, Select, Split, Sub; secrets; what cannot be resolved says where', () => {
  const r: Resolver = { ref: (id) => ({ A: 'a', 'AWS::Region': 'eu-west-1' })[id], getAtt: (id, at) => (id === 'B' && at === 'Arn' ? 'arn:b' : undefined) };
  assert.equal(resolveValue({ 'Fn::Join': ['-', [{ Ref: 'A' }, { 'Fn::GetAtt': ['B', 'Arn'] }]] }, r), 'a-arn:b');
  assert.equal(resolveValue({ 'Fn::Select': [1, { 'Fn::Split': ['/', 'x/y/z'] }] }, r), 'y');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub template, `${...}` is its syntax
  assert.equal(resolveValue({ 'Fn::Sub': '${A}.${AWS::Region}.${B.Arn}' }, r), 'a.eu-west-1.arn:b');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub template, `${...}` is its syntax
  assert.equal(resolveValue({ 'Fn::Sub': ['${A}.${AWS::Region}.${B.Arn}.${v}', { v: 'w' }] }, r), 'a.eu-west-1.arn:b.w');
  assert.throws(() => resolveValue({ x: [{ Ref: 'Nope' }] }, r, 'Env'), /cannot resolve Ref Nope at Env\.x\[0\]/);
  assert.equal(
    resolveDynamicReferences(
      'k={{resolve:secretsmanager:arn:aws:secretsmanager:r:1:secret:s-1:SecretString:::}}',
      (id) => (id === 'arn:aws:secretsmanager:r:1:secret:s-1' ? 'v' : undefined),
      'w',
    ),
    'k=v',
  );
  assert.equal(
    localizePublicHost(`Bearer realm="https://${PUBLIC_HOST_STAND_IN}/token",service="${PUBLIC_HOST_STAND_IN}"`, { scheme: 'http', hostPort: 'h:1' }),
    'Bearer realm="http://h:1/token",service="h:1"',
  );
});

test('the API key CloudFront sends is one the usage plan admits to the stage', () => {
  const origin = models.frontDoor.behaviors.find((b) => b.pathPattern === '*')?.origin;
  const sent = origin?.customHeaders.find(([n]) => n === 'x-api-key')?.[1];
  assert.ok(sent && sent.length >= 40);
  assert.ok(api.apiKeys.has(sent));
});
