import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandActions, formatScope, parseScope, parseScopes } from '../../src/core/auth/access.js';
import { bearerChallenge, challengeScope } from '../../src/core/auth/challenge.js';

test('a repository scope parses into an access entry; names may hold slashes and colons', () => {
  assert.deepEqual(parseScope('repository:team/app:pull,push'), { type: 'repository', name: 'team/app', actions: ['pull', 'push'] });
  assert.deepEqual(parseScope('repository:localhost:5000/app:pull'), { type: 'repository', name: 'localhost:5000/app', actions: ['pull'] });
  assert.deepEqual(parseScope('repository(plugin):a:pull'), { type: 'repository', name: 'a', actions: ['pull'] });
  assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  assert.deepEqual(parseScope('repository:a:pull,pull,,push'), { type: 'repository', name: 'a', actions: ['pull', 'push'] });
  assert.equal(formatScope({ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }), 'repository:team/app:pull,push');
});

test('malformed scopes are ignored, not errors', () => {
  for (const bad of ['', 'repository', 'repository:a', 'repository::pull', 'repository:a:', ':a:pull', 'Repo Sitory:a:pull', `repository:${'a'.repeat(600)}:pull`]) {
    assert.equal(parseScope(bad), null, bad);
  }
});

test('several scopes: repeated parameters and space-separated values, merged per resource', () => {
  assert.deepEqual(parseScopes(['repository:a:pull', 'repository:b:push repository:a:push', 'nonsense', 'registry:catalog:*']), [
    { type: 'repository', name: 'a', actions: ['pull', 'push'] },
    { type: 'repository', name: 'b', actions: ['push'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ]);
});

test('action words: * is pull, push and delete; unknown words grant nothing', () => {
  assert.deepEqual([...expandActions(['*'])].sort(), ['delete', 'pull', 'push']);
  assert.deepEqual([...expandActions(['pull', 'admin', 'catalog'])], ['pull']);
});

test('the challenge names realm, service and the scope the route needs (push asks for pull too)', () => {
  const params = { realm: 'https://reg.example/token', service: 'reg.example' };
  assert.equal(bearerChallenge(params, null), 'Bearer realm="https://reg.example/token",service="reg.example"');
  assert.equal(challengeScope('team/app', 'push'), 'repository:team/app:pull,push');
  assert.equal(challengeScope('team/app', 'pull'), 'repository:team/app:pull');
  assert.equal(challengeScope('team/app', 'delete'), 'repository:team/app:delete');
  assert.equal(challengeScope(null, 'catalog'), 'registry:catalog:*');
  assert.equal(challengeScope(null, null), null);
  assert.equal(bearerChallenge({ realm: 'x"y', service: 's' }, null), 'Bearer realm="x\\"y",service="s"');
});
