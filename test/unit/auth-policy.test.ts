import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepositoryPattern } from '../../src/core/auth/patterns.js';
import { parsePolicyDocumentText, Policy } from '../../src/core/auth/policy.js';
import { parsePolicyText, readPolicyDocument } from '../../src/core/auth/policy-file.js';
import { grantCovers, isAllowed } from '../../src/core/auth/decide.js';
import { ANONYMOUS, type Principal } from '../../src/core/auth/principal.js';
import { grantableAccess } from '../../src/core/auth/token-endpoint.js';

const user = (subject: string, groups: string[] = [], extra: Partial<Principal> = {}): Principal => ({
  subject,
  kind: 'user',
  groups,
  clientId: null,
  scopes: [],
  grant: { kind: 'unrestricted' },
  ...extra,
});
const machine = (clientId: string): Principal => ({ subject: clientId, kind: 'client', groups: [], clientId, scopes: [], grant: { kind: 'unrestricted' } });

test('patterns: * is one component (or within one), ** any depth, literals exact', () => {
  const m = (p: string, name: string) => RepositoryPattern.parse(p).matches(name);
  assert.ok(m('team-a/*', 'team-a/app'));
  assert.ok(!m('team-a/*', 'team-a/app/x'));
  assert.ok(!m('team-a/*', 'team-a'));
  assert.ok(!m('team-a/*', 'team-ab/app'));
  assert.ok(m('team-a/**', 'team-a/app/x/y'));
  assert.ok(!m('team-a/**', 'team-a'));
  assert.ok(m('**', 'anything/at/all'));
  assert.ok(m('team-*/app', 'team-b/app'));
  assert.ok(!m('team-*/app', 'team-b/c/app'));
  assert.ok(m('a.b/c', 'a.b/c'));
  assert.ok(!m('a.b/c', 'axb/c'), 'dots are literal');
  for (const bad of ['', 'Team/*', 'a/**b', 'a//b', '/a', 'a/', 'a b', 'a/***']) assert.ok(RepositoryPattern.problem(bad), bad);
});

// How fast (no catastrophic backtracking) is a bench row: `npm run bench -- --rows=pattern_backtracking_ms`.
test('a long name against many wildcards: the answer', () => {
  assert.ok(!RepositoryPattern.parse('**/**/**/**/**/x').matches(`${'a/'.repeat(100)}b`));
  assert.ok(RepositoryPattern.parse('**/**/**/**/**/x').matches(`${'a/'.repeat(100)}x`));
});

const POLICY_YAML = `
version: 1
anonymous:
  pull: ["public/**"]
rules:
  - principals:
      groups: [team-a]
    repositories: ["team-a/*"]
    actions: [pull, push]
  - principals: { }
    repositories: [x]
    actions: [pull]
`.replace(
  '  - principals: { }\n    repositories: [x]\n    actions: [pull]\n',
  `  - principals:
      users: [alice]
      clients: [ci-build]
    repositories: ["**"]
    actions: [pull]
  - principals:
      users: [admin]
    repositories: ["**"]
    actions: ["*"]
`,
);

test('policy: groups, users, clients, anonymous pull, catalog; nothing unless a rule says so', () => {
  const policy = parsePolicyText(POLICY_YAML, 'test.yaml');
  const bob = user('bob', ['team-a']);
  assert.ok(policy.allows(bob, 'team-a/app', 'push'));
  assert.ok(!policy.allows(bob, 'team-a/app', 'delete'));
  assert.ok(!policy.allows(bob, 'team-b/app', 'pull'));
  assert.ok(!policy.allows(bob, null, 'catalog'));
  assert.ok(policy.allows(user('alice'), 'team-b/app', 'pull'));
  assert.ok(!policy.allows(user('alice'), 'team-b/app', 'push'));
  assert.ok(policy.allows(machine('ci-build'), 'team-b/app', 'pull'));
  // A human who logged in through the app client `ci-build` is not that machine client.
  assert.ok(!policy.allows(user('carol', [], { clientId: 'ci-build' }), 'team-b/app', 'pull'));
  assert.ok(policy.allows(user('admin'), null, 'catalog'));
  assert.ok(policy.allows(user('admin'), 'any/thing', 'delete'));
  assert.ok(policy.allows(ANONYMOUS, 'public/base/alpine', 'pull'));
  assert.ok(!policy.allows(ANONYMOUS, 'public/base/alpine', 'push'));
  assert.ok(!policy.allows(ANONYMOUS, 'team-a/app', 'pull'));
  assert.ok(policy.allows(user('nobody'), 'public/x', 'pull'), 'what anyone may pull, every user may pull');
});

test('the same policy in JSON parses to the same decisions; the default allows every authenticated principal', () => {
  const json = JSON.stringify(readPolicyDocument(POLICY_YAML));
  const policy = parsePolicyText(json, 'test.json');
  assert.ok(policy.allows(user('bob', ['team-a']), 'team-a/app', 'push'));
  assert.ok(parsePolicyDocumentText(json, 'env').allows(user('bob', ['team-a']), 'team-a/app', 'push'), 'the JSON-only reader (Lambda) decides the same');
  assert.throws(() => parsePolicyDocumentText(POLICY_YAML, 'env'), /^Error: env: /, 'the JSON-only reader refuses YAML');
  const open = Policy.allowAuthenticated();
  assert.ok(open.allows(user('x'), 'a/b/c', 'delete'));
  assert.ok(open.allows(machine('m'), null, 'catalog'));
  assert.ok(!open.allows(ANONYMOUS, 'a', 'pull'));
});

test('invalid policies are refused with every problem named', () => {
  const problems = (text: string) => {
    try {
      parsePolicyText(text, 'p');
      return 'accepted';
    } catch (err) {
      return (err as Error).message;
    }
  };
  assert.match(problems('{"version":2}'), /version/);
  assert.match(problems('{"version":1,"rules":[{"principals":{},"repositories":["Bad/*"],"actions":["pull"]}]}'), /rules\.0\.repositories\.0/);
  assert.match(problems('{"version":1,"rules":[{"principals":{},"repositories":["a"],"actions":["admin"]}]}'), /rules\.0\.actions\.0/);
  assert.match(
    problems('{"version":1,"rules":[{"principals":{"user":["typo"]},"repositories":["a"],"actions":["pull"]}]}'),
    /user/,
    'unknown keys are errors, not silently ignored',
  );
  assert.match(problems('version: 1\n\trules: []'), /^p: Tabs are not allowed as indentation at line 2/);
  assert.match(problems('version: 1\nversion: 1'), /^p: Map keys must be unique at line 2/);
  assert.match(problems('version: 1\n---\nversion: 1'), /^p: Source contains multiple documents/);
  assert.match(problems('{"version":1'), /p: /);
});

test('policy files: YAML comments, quotes, flow and block sequences, anchors; JSON when the text starts with {', () => {
  assert.deepEqual(readPolicyDocument("a: 'it''s' # c\nb: \"x # y\"\nc:\n- 1\n- true\nd: [a, 'b c']\ne:\n  - f: 1\n    g: [~]\nh: &x [1]\ni: *x\n"), {
    a: "it's",
    b: 'x # y',
    c: [1, true],
    d: ['a', 'b c'],
    e: [{ f: 1, g: [null] }],
    h: [1],
    i: [1],
  });
  assert.equal((readPolicyDocument('a: 2026-01-01') as { a: unknown }).a, '2026-01-01', 'YAML 1.2 core schema: a date stays a string');
  assert.throws(() => readPolicyDocument(' {"a": 1,}'), SyntaxError, 'JSON is parsed as JSON, not as YAML flow');
});

test('decision: policy AND token grant, OR anonymous pull', () => {
  const policy = parsePolicyText(POLICY_YAML);
  const granted = (access: { type: string; name: string; actions: string[] }[]) => user('bob', ['team-a'], { grant: { kind: 'access', access } });
  const pullOnly = granted([{ type: 'repository', name: 'team-a/app', actions: ['pull'] }]);
  assert.ok(isAllowed(policy, pullOnly, 'team-a/app', 'pull'));
  assert.ok(!isAllowed(policy, pullOnly, 'team-a/app', 'push'), 'the policy allows push but the token does not grant it');
  assert.ok(!isAllowed(policy, pullOnly, 'team-a/other', 'pull'), 'a token is for the repositories it names');
  assert.ok(isAllowed(policy, pullOnly, 'public/x', 'pull'), 'anonymous pull needs no grant');
  const tooMuch = granted([{ type: 'repository', name: 'team-b/app', actions: ['*'] }]);
  assert.ok(!isAllowed(policy, tooMuch, 'team-b/app', 'pull'), 'a grant beyond the policy is worth nothing');
  assert.ok(grantCovers({ kind: 'access', access: [{ type: 'registry', name: 'catalog', actions: ['*'] }] }, null, 'catalog'));
  assert.ok(!grantCovers({ kind: 'access', access: [{ type: 'registry', name: 'catalog', actions: ['pull'] }] }, null, 'catalog'));
  const scoped = user('c', [], { kind: 'client', clientId: 'ci-build', grant: { kind: 'actions', actions: ['pull'] } });
  assert.ok(isAllowed(policy, scoped, 'team-z/app', 'pull'));
  assert.ok(!isAllowed(policy, scoped, 'team-z/app', 'push'));
});

test('the token endpoint grants the policy-allowed part of what was asked, possibly nothing', () => {
  const policy = parsePolicyText(POLICY_YAML);
  const bob = user('bob', ['team-a']);
  assert.deepEqual(
    grantableAccess(policy, bob, [
      { type: 'repository', name: 'team-a/app', actions: ['pull', 'push', 'delete'] },
      { type: 'repository', name: 'team-b/app', actions: ['pull'] },
      { type: 'repository', name: 'public/x', actions: ['*'] },
      { type: 'repository', name: 'Not/Valid', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]),
    [
      { type: 'repository', name: 'team-a/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'public/x', actions: ['pull'] },
    ],
  );
  assert.deepEqual(grantableAccess(policy, ANONYMOUS, [{ type: 'repository', name: 'team-a/app', actions: ['pull'] }]), []);
  assert.deepEqual(grantableAccess(policy, user('admin'), [{ type: 'registry', name: 'catalog', actions: ['*'] }]), [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
});

test("the README's policy example is a valid policy", async () => {
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a yaml policy block');
  const policy = parsePolicyText(block[1]!, 'README.md');
  assert.ok(policy.allows(user('x', ['team-a']), 'team-a/app', 'push'));
  assert.ok(policy.allows(ANONYMOUS, 'public/base', 'pull'));
});
