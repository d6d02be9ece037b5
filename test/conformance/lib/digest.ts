import { createHash, randomBytes as nodeRandomBytes, randomUUID } from 'node:crypto';

export type Algorithm = 'sha256' | 'sha512';

/** `sha256:<hex>` of the given bytes. */
export function sha256(data: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** `sha512:<hex>` of the given bytes. */
export function sha512(data: Uint8Array | string): string {
  return 'sha512:' + createHash('sha512').update(data).digest('hex');
}

export function digestOf(data: Uint8Array | string, algorithm: Algorithm = 'sha256'): string {
  return algorithm === 'sha512' ? sha512(data) : sha256(data);
}

/** Random bytes (content that is practically never already in the registry). */
export function randomBytes(n: number): Buffer {
  return nodeRandomBytes(n);
}

/** A digest that is well formed but (practically) never refers to existing content. */
export function unknownDigest(algorithm: Algorithm = 'sha256'): string {
  return digestOf(randomBytes(32), algorithm);
}

/** A unique, valid repository name: `<prefix>-<random>` (lower case). */
export function repoName(prefix = 'conformance'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
