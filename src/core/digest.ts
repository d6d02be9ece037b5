/**
 * Digest grammar (OCI image-spec descriptor.md): `algorithm ":" encoded`. We accept the two
 * registered algorithms, sha256 and sha512, with lower-case hex of the exact length.
 */
import type { DigestAlgorithm } from '../ports/metadata-store.js';
import { RegistryError } from './errors.js';

export type { DigestAlgorithm } from '../ports/metadata-store.js';

/** Hex length per algorithm; the algorithm names themselves are the metadata port's. */
export const DIGEST_ALGORITHMS: { readonly [A in DigestAlgorithm]: number } = { sha256: 64, sha512: 128 };

export interface Digest {
  algorithm: DigestAlgorithm;
  hex: string;
  /** The canonical `alg:hex` string. */
  value: string;
}

const DIGEST_SHAPE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isDigestAlgorithm(alg: string): alg is DigestAlgorithm {
  return Object.hasOwn(DIGEST_ALGORITHMS, alg);
}

/** True when the string has the general shape of a digest (so a reference is not a tag). */
export function looksLikeDigest(s: string): boolean {
  return s.includes(':');
}

/** Parses and validates a digest; throws DIGEST_INVALID saying what is wrong. */
export function parseDigest(raw: string): Digest {
  if (!DIGEST_SHAPE.test(raw)) {
    throw new RegistryError('DIGEST_INVALID', `invalid digest "${truncate(raw)}": expected <algorithm>:<hex>, e.g. sha256:<64 lower-case hex digits>`, {
      detail: { digest: truncate(raw) },
    });
  }
  const idx = raw.indexOf(':');
  const algorithm = raw.slice(0, idx);
  const hex = raw.slice(idx + 1);
  if (!isDigestAlgorithm(algorithm)) {
    throw new RegistryError('DIGEST_INVALID', `unsupported digest algorithm "${truncate(algorithm)}": use sha256 or sha512`, {
      detail: { digest: truncate(raw) },
    });
  }
  const length = DIGEST_ALGORITHMS[algorithm];
  if (!/^[0-9a-f]+$/.test(hex) || hex.length !== length) {
    throw new RegistryError('DIGEST_INVALID', `invalid ${algorithm} digest: expected ${length} lower-case hex digits`, {
      detail: { digest: truncate(raw) },
    });
  }
  return { algorithm, hex, value: raw };
}

export function parseDigestAlgorithm(raw: string): DigestAlgorithm {
  if (!isDigestAlgorithm(raw)) {
    throw new RegistryError('DIGEST_INVALID', `unsupported digest algorithm "${truncate(raw)}": use sha256 or sha512`);
  }
  return raw;
}

export function truncate(s: string, max = 100): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}
