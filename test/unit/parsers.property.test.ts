/**
 * Property-based tests (fast-check) of the small parsers that read request paths, queries and
 * headers: repository names, references (tags and digests), digests, the Range of a blob GET,
 * an upload chunk's Content-Range, Content-Length and the paging parameters. For every input a
 * parser either accepts it, with a result that obeys the grammar, or refuses it with its
 * RegistryError (a 4xx with the spec's code); nothing else escapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { declaredLength } from '../../src/core/body.js';
import { parseDigest } from '../../src/core/digest.js';
import { MAX_NAME_LENGTH, parseReference, validateName } from '../../src/core/names.js';
import { MAX_PAGE, parsePageParams } from '../../src/core/pagination.js';
import { parseContentRange, resolveBlobRange } from '../../src/core/ranges.js';
import { hostileString, onlyRegistryError, RUNS } from '../helpers/property.js';

const NAME_CHARS = 'abcz09._-/ABC:%@';
const HEX = '0123456789abcdefABCDEFg';

/** Names that follow the grammar: components of [a-z0-9] joined by separators, joined by '/'. */
const component = fc
  .array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 4 })
  .chain((parts) =>
    fc
      .array(fc.constantFrom('.', '_', '__', '-', '--'), { minLength: parts.length - 1, maxLength: parts.length - 1 })
      .map((seps) => parts.map((p, i) => (i === 0 ? p : `${seps[i - 1]}${p}`)).join('')),
  );
const validName = fc.array(component, { minLength: 1, maxLength: 6 }).map((c) => c.join('/'));

test('repository names: any string is accepted only when it follows the grammar, else NAME_INVALID', () => {
  fc.assert(
    fc.property(hostileString(NAME_CHARS), (s) => {
      onlyRegistryError(() => validateName(s));
      let accepted = true;
      try {
        validateName(s);
      } catch (err) {
        accepted = false;
        assert.equal((err as { kind: string }).kind, 'NAME_INVALID');
      }
      if (accepted) {
        assert.ok(s.length <= MAX_NAME_LENGTH);
        assert.match(s, /^[a-z0-9][a-z0-9._/-]*$/);
      }
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(validName, (name) => {
      if (name.length <= MAX_NAME_LENGTH) assert.equal(validateName(name), name);
    }),
    { numRuns: RUNS },
  );
});

const validDigest = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`),
  fc.stringMatching(/^[0-9a-f]{128}$/).map((h) => `sha512:${h}`),
);
const nearDigest = fc.oneof(
  validDigest,
  fc
    .tuple(fc.constantFrom('sha256', 'sha512', 'SHA256', 'md5', '', 'sha256+b64'), fc.string({ unit: fc.constantFrom(...HEX.split('')), maxLength: 140 }))
    .map(([a, h]) => `${a}:${h}`),
  hostileString(`${HEX}:+._-`),
);

test('digests: any string parses to the same digest or is refused with DIGEST_INVALID', () => {
  fc.assert(
    fc.property(nearDigest, (s) => {
      onlyRegistryError(() => parseDigest(s));
      try {
        const d = parseDigest(s);
        assert.equal(d.value, s);
        assert.match(s, /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/);
      } catch (err) {
        assert.equal((err as { kind: string }).kind, 'DIGEST_INVALID');
      }
    }),
    { numRuns: RUNS },
  );
});

test('references: a digest, a tag of the grammar, or a domain error', () => {
  fc.assert(
    fc.property(fc.oneof(nearDigest, fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,130}$/), hostileString('aZ09._-:')), (s) => {
      onlyRegistryError(() => parseReference(s));
      try {
        const ref = parseReference(s);
        if (ref.kind === 'tag') assert.match(ref.tag, /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/);
        else assert.equal(ref.digest.value, s);
      } catch {
        // refused with its domain error, checked above
      }
    }),
    { numRuns: RUNS },
  );
});

const rangeHeader = fc.oneof(
  fc.tuple(fc.option(fc.nat({ max: 2 ** 40 }), { nil: undefined }), fc.option(fc.nat({ max: 2 ** 40 }), { nil: undefined })).map(([a, b]) => `bytes=${a ?? ''}-${b ?? ''}`),
  fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 10n ** 30n })).map(([a, b]) => `bytes=${a}-${b}`),
  hostileString('bytes=0123456789-, */'),
);

test('blob GET Range: a satisfiable range within the blob, or 416 RANGE_NOT_SATISFIABLE', () => {
  fc.assert(
    fc.property(rangeHeader, fc.nat({ max: 2 ** 40 }), (header, size) => {
      onlyRegistryError(() => resolveBlobRange(header, size));
      try {
        const r = resolveBlobRange(header, size);
        assert.ok(r !== undefined);
        assert.ok(Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end));
        assert.ok(r.start >= 0 && r.start <= r.end && r.end < size, `${header} of ${size}: ${r.start}-${r.end}`);
      } catch (err) {
        assert.equal((err as { kind: string }).kind, 'RANGE_NOT_SATISFIABLE');
      }
    }),
    { numRuns: RUNS },
  );
});

test('upload Content-Range: start <= end as sent, or BLOB_UPLOAD_INVALID', () => {
  const header = fc.oneof(
    fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `${a}-${b}`),
    fc.tuple(fc.constantFrom('', 'bytes ', 'bytes='), fc.nat(), fc.nat(), fc.constantFrom('', '/*', '/100', '/x')).map(([p, a, b, t]) => `${p}${a}-${b}${t}`),
    fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.bigInt({ min: 0n, max: 10n ** 20n })).map(([a, b]) => `${a}-${b}`),
    hostileString('bytes 0123456789-/*'),
  );
  fc.assert(
    fc.property(header, (h) => {
      onlyRegistryError(() => parseContentRange(h));
      try {
        const r = parseContentRange(h);
        assert.ok(Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end) && r.start <= r.end);
      } catch (err) {
        assert.equal((err as { kind: string }).kind, 'BLOB_UPLOAD_INVALID');
      }
    }),
    { numRuns: RUNS },
  );
});

test('Content-Length and paging parameters: a safe integer, or a domain error', () => {
  fc.assert(
    fc.property(hostileString('0123456789 +-e.x'), (raw) => {
      onlyRegistryError(() => declaredLength({ 'content-length': raw }));
      try {
        const n = declaredLength({ 'content-length': raw });
        assert.ok(n !== undefined && Number.isSafeInteger(n) && n >= 0);
      } catch {
        // domain error, checked above
      }
      const query = new URLSearchParams();
      query.set('n', raw);
      query.set('last', raw);
      onlyRegistryError(() => parsePageParams(query));
      try {
        const p = parsePageParams(query);
        assert.ok(Number.isSafeInteger(p.n) && p.n >= 0 && p.n <= MAX_PAGE);
      } catch {
        // domain error, checked above
      }
    }),
    { numRuns: RUNS },
  );
});
