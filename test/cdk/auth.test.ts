/** Cognito: administrators create users, a client per kind of caller, a resource server with the action scopes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Match } from 'aws-cdk-lib/assertions';
import { resourcesOfType, synthCached } from './support.js';

test('user pool: no self sign-up, strong passwords, retained', () => {
  synthCached().template.hasResource('AWS::Cognito::UserPool', {
    DeletionPolicy: 'Retain',
    Properties: Match.objectLike({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12 }) },
      DeletionProtection: 'ACTIVE',
    }),
  });
});

test('resource server with pull, push and delete scopes', () => {
  synthCached().template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
    Identifier: 'stowage',
    Scopes: [Match.objectLike({ ScopeName: 'pull' }), Match.objectLike({ ScopeName: 'push' }), Match.objectLike({ ScopeName: 'delete' })],
  });
});

test('app clients: people by USER_PASSWORD_AUTH without a secret; CI by client credentials with the three scopes', () => {
  const { json } = synthCached();
  const clients = resourcesOfType(json, 'AWS::Cognito::UserPoolClient').map(([, p]) => p);
  assert.equal(clients.length, 2);
  const people = clients.find((c) => (c.ExplicitAuthFlows as string[] | undefined)?.includes('ALLOW_USER_PASSWORD_AUTH'));
  assert.ok(people, 'a client allows USER_PASSWORD_AUTH');
  assert.notEqual(people.GenerateSecret, true);
  assert.equal(people.AllowedOAuthFlows, undefined);
  const machines = clients.find((c) => (c.AllowedOAuthFlows as string[] | undefined)?.includes('client_credentials'));
  assert.ok(machines, 'a client has the client-credentials grant');
  assert.equal(machines.GenerateSecret, true);
  assert.equal(machines.AllowedOAuthFlowsUserPoolClient, true);
  const scopes = JSON.stringify(machines.AllowedOAuthScopes);
  for (const s of ['pull', 'push', 'delete']) assert.match(scopes, new RegExp(`/${s}`));
  assert.ok(!(machines.ExplicitAuthFlows as string[] | undefined)?.includes('ALLOW_USER_PASSWORD_AUTH'));
});

test('a Cognito domain serves the OAuth2 token endpoint; outputs name the pool, clients and token URL', () => {
  const s = synthCached();
  s.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
  for (const name of ['RegistryHost', 'UserPoolId', 'UserClientId', 'MachineClientId', 'OAuthTokenUrl', 'EventBusName', 'DistributionDomainName', 'CollectorFunctionName']) {
    assert.ok(s.json.Outputs?.[name], `output ${name}`);
  }
});
