/**
 * Property-based tests (fast-check) of the documents an operator hands the server: policy files
 * (YAML or JSON, src/core/auth/policy-file.ts; the same text reaches the Lambdas as JSON) and the
 * `--config FILE` settings file (src/cli/config-file.ts, then every value checked by
 * parseServeConfig). Any text is accepted or refused with one line of the domain error
 * (`policy: ...`, a ConfigError); never a TypeError or a crash.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parsePolicyText } from '../../src/core/auth/policy-file.js';
import { ConfigError } from '../../src/cli/config-error.js';
import { parseServeConfig } from '../../src/cli/serve-config.js';
import { ALL_SETTINGS } from '../../src/config/settings.js';
import { onlyError, RUNS } from '../helpers/property.js';

const anyValue = fc.jsonValue({ maxDepth: 3 });
const pattern = fc.oneof(fc.constantFrom('**', 'team/*', 'team/**', 'a/b', '', '/', '***', 'A', '[x]', 'a//b'), fc.string({ maxLength: 30 }));
const names = fc.oneof(fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }), anyValue);
const rule = fc.record(
  {
    description: fc.oneof(fc.string({ maxLength: 20 }), anyValue),
    principals: fc.oneof(fc.record({ users: names, groups: names, clients: names, authenticated: fc.oneof(fc.boolean(), anyValue) }, { requiredKeys: [] }), anyValue),
    repositories: fc.oneof(fc.array(pattern, { maxLength: 3 }), anyValue),
    actions: fc.oneof(fc.array(fc.constantFrom('pull', 'push', 'delete', 'catalog', '*', 'admin', ''), { maxLength: 4 }), anyValue),
    extra: anyValue,
  },
  { requiredKeys: [] },
);
const policyDocument = fc.record(
  {
    version: fc.oneof(fc.constant(1), anyValue),
    anonymous: fc.oneof(fc.record({ pull: fc.oneof(fc.array(pattern, { maxLength: 3 }), anyValue) }, { requiredKeys: [] }), anyValue),
    rules: fc.oneof(fc.array(rule, { maxLength: 3 }), anyValue),
  },
  { requiredKeys: [] },
);
const policyText = fc.oneof(
  policyDocument.map((d) => JSON.stringify(d)),
  policyDocument.map((d) => stringify(d)),
  anyValue.map((v) => JSON.stringify(v) ?? ''),
  fc.string({ maxLength: 300 }),
  fc.constantFrom(
    '{',
    'version: 1\nversion: 1\n',
    '---\na: 1\n---\nb: 2\n',
    '\tversion: 1',
    '*a',
    '&a [*a]',
    '!!binary x',
    `${'['.repeat(3000)}`,
    `${'['.repeat(3000)}${']'.repeat(3000)}`,
    `${'{a: '.repeat(2000)}1`,
  ),
);

test('policy files: any YAML or JSON text compiles or is refused with one "policy: ..." error', () => {
  fc.assert(
    fc.property(policyText, (text) => onlyError(() => parsePolicyText(text), Error, 'policy: ')),
    { numRuns: RUNS },
  );
});

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stowage-config-prop-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Keys a config file may hold (a section's keys nested under it), plus near misses. */
const settingValue = fc.oneof(
  anyValue,
  fc.constantFrom('0', '65536', '-1', '1e3', 'true', 'yes', 's3', 'dynamodb', 'log,webhook', 'http://127.0.0.1:1/x', '127.0.0.1:99999', '[::1]:9090', '0.0.0.0', 'local', ''),
);
const configDocument = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...ALL_SETTINGS.map((s) => s.key)), fc.constantFrom('cognito', 'cognito.nope', 'unknown', 'port.x')), settingValue), { maxLength: 6 })
  .map((pairs) => {
    const doc: Record<string, unknown> = {};
    for (const [key, value] of pairs) {
      const [head, tail] = key.split('.') as [string, string | undefined];
      if (tail === undefined) doc[head] = value;
      else doc[head] = { ...(typeof doc[head] === 'object' && doc[head] !== null && !Array.isArray(doc[head]) ? (doc[head] as object) : {}), [tail]: value };
    }
    return doc;
  });

test('config files: any YAML or JSON document is a config or one ConfigError line', () => {
  let n = 0;
  fc.assert(
    fc.property(
      fc.oneof(configDocument, anyValue),
      fc.constantFrom('yaml', 'json'),
      fc.option(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.nat({ max: 3000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
          fc.nat({ max: 3000 }).map((n) => '- '.repeat(n)),
        ),
        { nil: undefined },
      ),
      (doc, ext, raw) => {
        const file = join(dir, `c${n++}.${ext}`);
        writeFileSync(file, raw ?? (ext === 'json' ? (JSON.stringify(doc) ?? '') : stringify(doc)));
        onlyError(() => parseServeConfig(['--config', file], {}), ConfigError);
        try {
          parseServeConfig(['--config', file], {});
        } catch (err) {
          assert.equal((err as Error).message.split('\n').length, 1, (err as Error).message);
        }
      },
    ),
    { numRuns: RUNS },
  );
});

test('deeply nested YAML is refused with one line before the parser recurses (it used to overflow the stack, then abort the process)', () => {
  for (let i = 0; i < 3; i++) {
    for (const text of [`${'['.repeat(3000)}${']'.repeat(3000)}`, '['.repeat(5000), `${'- '.repeat(2000)}x`, `x: ${'{a: '.repeat(2000)}1`]) {
      assert.throws(() => parsePolicyText(text), /^Error: policy: nested about \d+ levels deep; at most 100 are accepted$/);
    }
  }
  // Ordinary documents, indented as people indent them, still parse.
  const policy = parsePolicyText('version: 1\nrules:\n  - principals:\n      groups: [ci]\n    repositories: ["team/**"]\n    actions: [pull, push]\n');
  assert.ok(policy);
});
