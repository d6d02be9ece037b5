import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference, validateName, validateTag } from '../../src/core/names.js';
import { parseDigest } from '../../src/core/digest.js';
import { RegistryError } from '../../src/core/errors.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof RegistryError ? err.code : 'NOT_A_REGISTRY_ERROR';
  }
  return undefined;
}

test('repository names follow the spec grammar', () => {
  for (const ok of ['a', 'library/ubuntu', 'a.b/c_d/e__f/g--h', 'x0/y-1.z', 'a'.repeat(255)]) {
    assert.equal(validateName(ok), ok, ok);
  }
  const bad = ['', 'Upper', 'a//b', '/a', 'a/', 'a..b', '..', 'a/../b', 'a/%2e%2e/b', 'a%2Fb', 'a%00', '-a', 'a-', 'a___b', 'a b', 'a'.repeat(256)];
  for (const name of bad)
    assert.equal(
      code(() => validateName(name)),
      'NAME_INVALID',
      JSON.stringify(name),
    );
});

test('a name over 255 characters is refused with a message naming the limit', () => {
  assert.throws(() => validateName(`${'a'.repeat(200)}/${'b'.repeat(60)}`), /limit is 255/);
});

test('tags follow the spec grammar', () => {
  for (const ok of ['latest', 'v1.0.0', '_x', 'A-b_c.d', 'sha256-' + 'a'.repeat(64), 'a'.repeat(128)]) assert.equal(validateTag(ok), ok);
  for (const tag of ['', '.a', '-a', 'a/b', 'a:b', 'a'.repeat(129), 'a b']) {
    assert.equal(
      code(() => validateTag(tag)),
      'MANIFEST_INVALID',
      JSON.stringify(tag),
    );
  }
});

test('digests: sha256 and sha512 with exact lower-case hex only', () => {
  const h256 = 'a'.repeat(64);
  const h512 = 'b'.repeat(128);
  assert.deepEqual(parseDigest(`sha256:${h256}`), { algorithm: 'sha256', hex: h256, value: `sha256:${h256}` });
  assert.equal(parseDigest(`sha512:${h512}`).algorithm, 'sha512');
  const bad = [
    `sha256:${'A'.repeat(64)}`,
    `sha256:${'a'.repeat(63)}`,
    `sha512:${h256}`,
    `md5:${'a'.repeat(32)}`,
    `sha256${h256}`,
    `sha256:`,
    `:${h256}`,
    `sha256:${'g'.repeat(64)}`,
  ];
  for (const d of bad)
    assert.equal(
      code(() => parseDigest(d)),
      'DIGEST_INVALID',
      d,
    );
  assert.throws(() => parseDigest(`md5:${'a'.repeat(32)}`), /use sha256 or sha512/);
});

test('a reference with a colon is a digest, otherwise a tag', () => {
  assert.deepEqual(parseReference('latest'), { kind: 'tag', tag: 'latest' });
  assert.equal(parseReference(`sha256:${'c'.repeat(64)}`).kind, 'digest');
  assert.equal(
    code(() => parseReference('sha256:xyz')),
    'DIGEST_INVALID',
  );
});
