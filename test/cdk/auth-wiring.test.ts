/**
 * Authentication wired into the stack (lib/auth-environment.ts): every operation Lambda, the
 * anonymous-pull authorizer, the token Lambda and the upload service get the user pool, the
 * accepted app clients and the policy; the token Lambda what it logs in with and the limiter's
 * table, with table access limited to the counters; the upload service the public realm; the
 * entries under lambdas/ replace the placeholders; the policy prop is validated and bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { registryPropsFromContext, readContext } from '../../lib/context.js';
import { MAX_POLICY_BYTES, resolveProps } from '../../lib/props.js';
import { OPERATIONS } from '../../lib/functions.js';
import { entryOrPlaceholder, PACKAGE_ROOT } from '../../lib/stowage-registry.js';
import { logicalIdByPath, resourcesOfType, roleStatements, synth, synthCached } from './support.js';

const POLICY_YAML = `version: 1
anonymous:
  pull: ["public/**"]
rules:
  - principals:
      groups: [team-a]
    repositories: ["team-a/**"]
    actions: [pull, push]
`;

type Env = Record<string, unknown>;

function functionEnv(s: ReturnType<typeof synthCached>, pathSuffix: string): Env {
  const id = logicalIdByPath(s, `${pathSuffix}/Resource`);
  return ((s.json.Resources[id]?.Properties?.Environment as { Variables: Env }) ?? { Variables: {} }).Variables;
}

test('every operation Lambda and the authorizer authorize in the core: STOWAGE_AUTH=cognito, the pool, both app clients, the scopes, the policy', () => {
  const s = synthCached({ anonymousPull: true, policy: POLICY_YAML });
  for (const path of [...OPERATIONS.map((op) => `Operations/${op}`), 'Registry/AnonymousPullAuthorizer']) {
    const env = functionEnv(s, path);
    assert.equal(env.STOWAGE_AUTH, 'cognito', path);
    assert.deepEqual(env.STOWAGE_COGNITO_USER_POOL_ID, { Ref: logicalIdByPath(s, 'Auth/UserPool/Resource') }, path);
    assert.deepEqual(env.STOWAGE_COGNITO_CLIENT_IDS, {
      'Fn::Join': [',', [{ Ref: logicalIdByPath(s, 'Auth/UserPool/UserClient/Resource') }, { Ref: logicalIdByPath(s, 'Auth/UserPool/MachineClient/Resource') }]],
    });
    assert.equal(env.STOWAGE_COGNITO_RESOURCE_SERVER, 'stowage');
    assert.equal(env.STOWAGE_CLIENT_ADDRESS_HEADER, 'x-stowage-client-address');
    assert.deepEqual(JSON.parse(String(env.STOWAGE_POLICY_DOCUMENT)), {
      version: 1,
      anonymous: { pull: ['public/**'] },
      rules: [{ principals: { groups: ['team-a'] }, repositories: ['team-a/**'], actions: ['pull', 'push'] }],
    });
    assert.equal(env.STOWAGE_COGNITO_USER_CLIENT_ID, undefined, 'only the token Lambda logs anyone in');
  }
  assert.equal(functionEnv(synthCached(), 'Operations/ping').STOWAGE_POLICY_DOCUMENT, undefined, 'no policy prop: the code default');
});

test('the token Lambda: lambdas/token.ts, the people client, the OAuth2 endpoint, the limiter table, the public-host header', () => {
  const s = synthCached();
  const env = functionEnv(s, 'Registry/Token');
  assert.deepEqual(env.STOWAGE_COGNITO_USER_CLIENT_ID, { Ref: logicalIdByPath(s, 'Auth/UserPool/UserClient/Resource') });
  assert.match(JSON.stringify(env.STOWAGE_COGNITO_OAUTH_TOKEN_URL), /auth\.eu-west-1\.amazoncognito\.com\/oauth2\/token/);
  assert.deepEqual(env.STOWAGE_DYNAMODB_TABLE, { Ref: logicalIdByPath(s, 'Metadata/Table/Resource') });
  assert.equal(env.STOWAGE_PUBLIC_HOST_HEADER, 'x-stowage-public-host');
  assert.equal(env.STOWAGE_SERVICE, undefined, 'the service follows the host the client used');
  assert.equal(functionEnv(synthCached({ serviceName: 'registry.example.com' }), 'Registry/Token').STOWAGE_SERVICE, 'registry.example.com');
});

test('the token Lambda reaches only the failed-login counters in the table', () => {
  const statements = roleStatements(synthCached(), 'Registry/Token').filter((st) => JSON.stringify(st.Action).includes('dynamodb:'));
  assert.equal(statements.length, 1);
  const [st] = statements;
  assert.deepEqual(st!.Action, ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
  assert.deepEqual(st!.Condition, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LOGINFAIL#*'] } });
});

test('the upload service verifies tokens itself: auth environment plus the public realm and service', () => {
  const s = synthCached({ policy: POLICY_YAML });
  const [[, task]] = resourcesOfType(s.json, 'AWS::ECS::TaskDefinition') as [[string, { ContainerDefinitions: { Environment: { Name: string; Value: unknown }[] }[] }]];
  const env = Object.fromEntries(task.ContainerDefinitions[0]!.Environment.map((e) => [e.Name, e.Value]));
  assert.equal(env.STOWAGE_AUTH, 'cognito');
  assert.equal(env.STOWAGE_HOST, '0.0.0.0');
  const distribution = logicalIdByPath(s, 'FrontDoor/Distribution/Resource');
  assert.deepEqual(env.STOWAGE_REALM, { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }, '/token']] });
  assert.deepEqual(env.STOWAGE_SERVICE, { 'Fn::GetAtt': [distribution, 'DomainName'] });
  assert.ok(env.STOWAGE_COGNITO_USER_POOL_ID && env.STOWAGE_COGNITO_CLIENT_IDS && env.STOWAGE_POLICY_DOCUMENT);
  assert.equal(env.STOWAGE_CLIENT_ADDRESS_HEADER, 'x-stowage-client-address');
  const annotations = Annotations.fromStack(s.stack);
  annotations.hasNoWarning('*', Match.stringLikeRegexp('does not check bearer tokens'));
});

test('custom domain: the upload service names it in its realm', () => {
  const s = synth({
    registry: (scope) => ({
      customDomain: { domainNames: ['registry.example.com'], certificate: acm.Certificate.fromCertificateArn(scope, 'C', 'arn:aws:acm:us-east-1:123456789012:certificate/abc') },
    }),
  });
  const [[, task]] = resourcesOfType(s.json, 'AWS::ECS::TaskDefinition') as [[string, { ContainerDefinitions: { Environment: { Name: string; Value: unknown }[] }[] }]];
  const env = Object.fromEntries(task.ContainerDefinitions[0]!.Environment.map((e) => [e.Name, e.Value]));
  assert.equal(env.STOWAGE_REALM, 'https://registry.example.com/token');
  assert.equal(env.STOWAGE_SERVICE, 'registry.example.com');
});

test('additionalClientIds join the accepted clients', () => {
  const s = synthCached({ additionalClientIds: ['1example23456789abcdefghij'] });
  const ids = functionEnv(s, 'Operations/getBlob').STOWAGE_COGNITO_CLIENT_IDS as { 'Fn::Join': [string, unknown[]] };
  assert.equal(ids['Fn::Join'][1].length, 3);
  assert.equal(ids['Fn::Join'][1][2], '1example23456789abcdefghij');
  assert.throws(() => resolveProps({ additionalClientIds: ['no spaces please'] }), /additionalClientIds: "no spaces please" is not an app client id/);
});

test('the policy prop: validated at synthesis, bounded in size; mismatches with anonymousPull warn', () => {
  assert.throws(() => resolveProps({ policy: 'version: 2\n' }), /policy: .*version/);
  assert.throws(() => resolveProps({ policy: 'version: 1\nrules:\n  - principals: {}\n' }), /policy:/);
  const big = {
    version: 1,
    rules: Array.from({ length: 40 }, (_, i) => ({ principals: { users: [`user-${i}-with-a-long-name`] }, repositories: [`team-${i}/**`], actions: ['pull', 'push'] })),
  };
  assert.throws(() => resolveProps({ policy: JSON.stringify(big) }), new RegExp(`over the ${MAX_POLICY_BYTES}`));
  assert.equal(resolveProps({ policy: POLICY_YAML }).policyHasAnonymousPull, true);

  Annotations.fromStack(synthCached({ anonymousPull: true }).stack).hasWarning('*', Match.stringLikeRegexp('lets nobody pull anonymously'));
  Annotations.fromStack(synthCached({ policy: POLICY_YAML }).stack).hasWarning('*', Match.stringLikeRegexp('take effect only with anonymousPull'));
  Annotations.fromStack(synthCached({ anonymousPull: true, policy: POLICY_YAML }).stack).hasNoWarning('*', Match.stringLikeRegexp('anonymous'));
});

test('context: stowage:policyFile is read and validated, stowage:additionalClientIds split', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-policy-'));
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, POLICY_YAML);
  const app = new App();
  const props = registryPropsFromContext(app, readContext({ 'stowage:policyFile': file, 'stowage:additionalClientIds': 'abc, def' }));
  assert.equal(props.policy, POLICY_YAML);
  assert.deepEqual(props.additionalClientIds, ['abc', 'def']);
  assert.throws(() => registryPropsFromContext(app, readContext({ 'stowage:policyFile': join(dir, 'missing.yaml') })), /stowage:policyFile .*ENOENT/);
});

test('the stack uses the real entries: lambdas/token.ts and lambdas/anonymous-pull-authorizer.ts, not lib/handlers placeholders', () => {
  const lambdas = join(PACKAGE_ROOT, 'lambdas');
  assert.equal(entryOrPlaceholder(lambdas, 'token'), join(lambdas, 'token.ts'));
  assert.equal(entryOrPlaceholder(lambdas, 'anonymous-pull-authorizer'), join(lambdas, 'anonymous-pull-authorizer.ts'));
  assert.match(entryOrPlaceholder(join(lambdas, 'nowhere'), 'token'), /lib\/handlers\/token-unavailable\.ts$/, 'the placeholder only without them');
});
