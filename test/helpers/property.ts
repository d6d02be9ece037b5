/**
 * Helpers for the property-based tests of the parsers that face the network (fast-check): a
 * parser may accept or refuse any input, but a refusal must be its domain error, never a
 * TypeError, a RangeError or a stack overflow escaping as a 500 or a crash.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RegistryError } from '../../src/core/errors.js';

/** How many cases each property runs (FC_RUNS overrides, e.g. for a long local soak). */
export const RUNS = Number(process.env.FC_RUNS ?? 500);

/** Symptoms of a bug rather than of bad input, whatever error class carries them. */
const BUG = /Cannot read prop|is not a function|is not iterable|is not an object|is not a constructor|Maximum call stack|Invalid array length|Invalid string length/;

/** Runs `parse`; if it throws, the error must be a RegistryError with a spec code and a message. */
export function onlyRegistryError(parse: () => unknown): void {
  try {
    parse();
  } catch (err) {
    if (!(err instanceof RegistryError)) throw new assert.AssertionError({ message: `threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}` });
    assert.ok(err.message.length > 0 && !BUG.test(err.message), err.message);
    assert.ok(err.status >= 400 && err.status < 500, `a refusal of input is a 4xx, got ${err.status}: ${err.message}`);
  }
}

/** Runs `parse`; if it throws, the error must be of `type`, one line, and no bug symptom. */
export function onlyError(parse: () => unknown, type: new (...args: never[]) => Error, prefix = ''): void {
  try {
    parse();
  } catch (err) {
    if (!(err instanceof type)) throw new assert.AssertionError({ message: `threw ${(err as Error)?.constructor?.name}, not ${type.name}: ${(err as Error)?.message}` });
    assert.ok(!BUG.test(err.message), err.message);
    assert.ok(err.message.startsWith(prefix), `"${err.message}" starts with "${prefix}"`);
  }
}

/** Strings that look like what crosses the wire: ASCII, full Unicode, and near misses of a grammar. */
export function hostileString(alphabet: string, maxLength = 300): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.constantFrom(...alphabet.split('')), maxLength }),
    fc.constantFrom('', ' ', '%00', '%2e%2e', '../', '\u0000', '\ud800', 'a'.repeat(10_000)),
  );
}
