/**
 * IAM login in the template (prop iamLogin): every registry method behind the REQUEST
 * authorizer, the KMS signing key and who may use it (only the token Lambda signs), the
 * settings each component reads; the default stack without any of it; and the example CodeBuild
 * project (lib/examples/codebuild-push.ts) whose role holds no Cognito secret.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import { CodeBuildPush, codeBuildPushPolicyRule } from '../../lib/examples/codebuild-push.js';
import { actionsOf, resourcesOfType, roleStatements, synthCached, type Synthesized } from './support.js';

const ACCOUNT = '123456789012';
const POLICY = JSON.stringify({ version: 1, rules: [codeBuildPushPolicyRule(ACCOUNT, 'stowage-codebuild-push', 'ci/app')] });

function registryMethods(s: Synthesized): { path: string; httpMethod: string; props: Record<string, unknown> }[] {
  return s.stack.node
    .findAll()
    .filter((c): c is apigateway.Method => c instanceof apigateway.Method)
    .map((m) => ({ path: m.resource.path, httpMethod: m.httpMethod, props: s.json.Resources[s.stack.getLogicalId(m.node.defaultChild as apigateway.CfnMethod)]?.Properties ?? {} }))
    .filter((m) => m.path.startsWith('/v2'));
}

const keyEnv = (s: Synthesized, type: string) =>
  resourcesOfType(s.json, type)
    .filter(([, p]) => JSON.stringify(p).includes('STOWAGE_IAM_LOGIN_KEY_ID'))
    .map(([id]) => id);

test('iamLogin: every registry method (the ANY methods too) uses the REQUEST authorizer; /token stays open', () => {
  const s = synthCached({ iamLogin: true, policy: POLICY });
  const authorizers = resourcesOfType(s.json, 'AWS::ApiGateway::Authorizer').filter(([, p]) => p.Type === 'REQUEST');
  assert.equal(authorizers.length, 1);
  const [requestId] = authorizers[0]!;
  const methods = registryMethods(s);
  assert.ok(methods.length > 20);
  for (const m of methods) {
    assert.equal(m.props.AuthorizationType, 'CUSTOM', `${m.httpMethod} ${m.path}`);
    assert.deepEqual(m.props.AuthorizerId, { Ref: requestId }, `${m.httpMethod} ${m.path}`);
    assert.equal(m.props.AuthorizationScopes, undefined);
  }
  assert.equal(resourcesOfType(s.json, 'AWS::ApiGateway::Authorizer').filter(([, p]) => p.Type === 'COGNITO_USER_POOLS').length, 0, 'no Cognito authorizer left unattached');
});

test('iamLogin: an ES256 KMS key; the token Lambda signs, the authorizer and the upload service only read the public key', () => {
  const s = synthCached({ iamLogin: true, policy: POLICY });
  s.template.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
  const token = actionsOf(roleStatements(s, '/Token'));
  assert.ok(token.includes('kms:Sign') && token.includes('kms:GetPublicKey'), token.join(' '));
  const authorizer = actionsOf(roleStatements(s, 'Registry/AnonymousPullAuthorizer'));
  assert.ok(authorizer.includes('kms:GetPublicKey'));
  assert.ok(!authorizer.includes('kms:Sign'), 'a verifier cannot mint');
  const taskPolicies = resourcesOfType(s.json, 'AWS::IAM::Policy').filter(([id]) => id.includes('UploadServiceTaskTaskRole'));
  const taskActions = taskPolicies.flatMap(([, p]) => actionsOf((p.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement));
  assert.ok(taskActions.includes('kms:GetPublicKey') && !taskActions.includes('kms:Sign'), taskActions.join(' '));
  assert.equal(keyEnv(s, 'AWS::Lambda::Function').length, 2, 'the token Lambda and the authorizer');
  assert.equal(keyEnv(s, 'AWS::ECS::TaskDefinition').length, 1, 'the upload service');
});

test('default: no IAM login key, no REQUEST authorizer, Cognito on push methods', () => {
  const s = synthCached();
  assert.equal(resourcesOfType(s.json, 'AWS::KMS::Key').filter(([, p]) => p.KeyUsage === 'SIGN_VERIFY').length, 0);
  assert.equal(keyEnv(s, 'AWS::Lambda::Function').length, 0);
  const push = registryMethods(s).find((m) => m.httpMethod === 'PUT' && m.path === '/v2/_r/manifests/{reference}');
  assert.equal(push?.props.AuthorizationType, 'COGNITO_USER_POOLS');
});

test('the example CodeBuild project: its buildspec logs in with stowage login; its role has no Cognito secret or registry permission', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Ci', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  new CodeBuildPush(stack, 'Push', { registryHost: 'd1234abcd.cloudfront.net', image: 'ci/app', roleName: 'stowage-codebuild-push' });
  const template = Template.fromStack(stack);
  const json = template.toJSON() as Synthesized['json'];
  const [, project] = resourcesOfType(json, 'AWS::CodeBuild::Project')[0]!;
  const buildSpec = String((project.Source as { BuildSpec: string }).BuildSpec);
  assert.match(buildSpec, /stowage\.mjs login --registry \\?"https:\/\/\$REGISTRY\\?" \| docker login --username AWS --password-stdin/);
  assert.match(buildSpec, /docker push/);
  const env = (project.Environment as { EnvironmentVariables: { Name: string }[]; PrivilegedMode: boolean }).EnvironmentVariables.map((v) => v.Name);
  assert.deepEqual(env.sort(), ['CLI_BUNDLE_URL', 'IMAGE', 'REGISTRY']);
  template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'stowage-codebuild-push' });
  const actions = resourcesOfType(json, 'AWS::IAM::Policy').flatMap(([, p]) => actionsOf((p.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement));
  assert.ok(
    actions.some((a) => a.startsWith('s3:GetObject')),
    'reads the stowage command',
  );
  for (const a of actions) assert.doesNotMatch(a, /^(secretsmanager|cognito-idp|ssm):/, a);
  // The rule the registry's policy takes for that role is valid policy (synthesis validates it).
  assert.ok(synthCached({ iamLogin: true, policy: POLICY }).json.Resources);
});
