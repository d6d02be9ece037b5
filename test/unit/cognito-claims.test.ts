/**
 * Cognito claims -> Principal (src/adapters/aws/cognito-claims.ts): people and machines, the
 * grant their scopes give, groups in every form a verified token or API Gateway's flattened
 * claims carry them, and what is refused (ID tokens, other app clients, a machine token whose
 * subject is not its client).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOfScopes, listClaim, principalFromClaims, scopesForActions } from '../../src/adapters/aws/cognito-claims.js';
import { isAllowed } from '../../src/core/auth/decide.js';
import { Policy } from '../../src/core/auth/policy.js';

const options = { resourceServer: 'stowage', clientIds: ['people', 'ci'] };
const human = { token_use: 'access', client_id: 'people', username: 'alice', sub: 'uuid-1', scope: 'aws.cognito.signin.user.admin', 'cognito:groups': ['team-a', 'ops'] };
const machine = { token_use: 'access', client_id: 'ci', sub: 'ci', scope: 'stowage/pull stowage/push' };

test('a person: user name as subject, groups, and a grant that leaves the decision to the policy', () => {
  assert.deepEqual(principalFromClaims(human, options), {
    subject: 'alice',
    kind: 'user',
    groups: ['team-a', 'ops'],
    clientId: 'people',
    scopes: ['aws.cognito.signin.user.admin'],
    grant: { kind: 'unrestricted' },
  });
});

test('a machine: the client id as subject and kind client; its scopes are all it may do (pull also lists the catalog)', () => {
  const p = principalFromClaims(machine, options)!;
  assert.equal(p.subject, 'ci');
  assert.equal(p.kind, 'client');
  assert.equal(p.clientId, 'ci');
  assert.deepEqual(p.groups, []);
  assert.deepEqual(p.grant, { kind: 'actions', actions: ['pull', 'catalog', 'push'] });
  assert.deepEqual(
    principalFromClaims({ ...machine, scope: 'stowage/delete other/pull' }, options)!.grant,
    { kind: 'actions', actions: ['delete'] },
    'another resource server grants nothing',
  );
});

test('a person with custom scopes and no aws.cognito.signin.user.admin (OAuth2 endpoints) is limited to them', () => {
  assert.deepEqual(principalFromClaims({ ...human, scope: 'openid stowage/pull' }, options)!.grant, { kind: 'actions', actions: ['pull', 'catalog'] });
});

test('refused: ID tokens, other app clients, missing client, a machine token whose subject is not the client', () => {
  assert.equal(principalFromClaims({ ...human, token_use: 'id' }, options), null);
  assert.equal(principalFromClaims({ ...human, client_id: 'some-other-app' }, options), null);
  assert.equal(principalFromClaims({ ...human, client_id: undefined }, options), null);
  assert.equal(principalFromClaims({ ...machine, sub: 'someone-else' }, options), null);
  assert.equal(principalFromClaims({ ...human, username: 'x'.repeat(300) }, options), null, 'an oversized user name is no user name, and then not a machine either');
});

test("API Gateway's flattened claims: every value a string, groups in each form seen in the wild", () => {
  const flat = (groups: string) => principalFromClaims({ ...human, 'cognito:groups': groups }, options)!.groups;
  assert.deepEqual(flat('team-a,ops'), ['team-a', 'ops']);
  assert.deepEqual(flat('[team-a ops]'), ['team-a', 'ops']);
  assert.deepEqual(flat('["team-a","ops"]'), ['team-a', 'ops']);
  assert.deepEqual(flat('team-a'), ['team-a']);
  assert.deepEqual(flat(''), []);
  assert.deepEqual(listClaim(undefined), []);
  assert.deepEqual(listClaim(['a', 3, '']), ['a']);
});

test('scopes for actions, and back', () => {
  assert.deepEqual(scopesForActions(['pull', 'push'], 'stowage'), ['stowage/pull', 'stowage/push']);
  assert.deepEqual(scopesForActions(['catalog'], 'stowage'), ['stowage/pull']);
  assert.deepEqual(scopesForActions([], 'stowage'), []);
  assert.deepEqual(actionsOfScopes(['stowage/delete', 'stowage/nonsense'], 'stowage'), ['delete']);
});

test('groups and client ids drive the policy; a machine token cannot exceed its scopes', () => {
  const policy = Policy.fromDocument({
    version: 1,
    rules: [
      { principals: { groups: ['team-a'] }, repositories: ['team-a/**'], actions: ['pull', 'push'] },
      { principals: { clients: ['ci'] }, repositories: ['**'], actions: ['*'] },
      { principals: { users: ['bob'] }, repositories: ['bob/*'], actions: ['pull'] },
    ],
  });
  const alice = principalFromClaims(human, options)!;
  assert.equal(isAllowed(policy, alice, 'team-a/app', 'push'), true);
  assert.equal(isAllowed(policy, alice, 'team-b/app', 'pull'), false);
  assert.equal(isAllowed(policy, alice, 'team-a/app', 'delete'), false);
  const bob = principalFromClaims({ ...human, username: 'bob', 'cognito:groups': undefined }, options)!;
  assert.equal(isAllowed(policy, bob, 'bob/app', 'pull'), true);
  assert.equal(isAllowed(policy, bob, 'team-a/app', 'pull'), false);
  const ci = principalFromClaims(machine, options)!;
  assert.equal(isAllowed(policy, ci, 'any/thing', 'push'), true);
  assert.equal(isAllowed(policy, ci, 'any/thing', 'delete'), false, 'the policy allows delete, the token has no stowage/delete');
  const humanNamedCi = principalFromClaims({ ...human, username: 'ci', 'cognito:groups': [] }, options)!;
  assert.equal(isAllowed(policy, humanNamedCi, 'any/thing', 'pull'), false, 'a person named like a client id is not that client');
});
