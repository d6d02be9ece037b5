/**
 * Repository name and tag grammar from the OCI Distribution Spec:
 *   name      [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
 *   tag       [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
 * plus the 255-character limit on a name (host included, as docker counts it, is not our
 * concern: we see only the path). Names arrive un-decoded from the raw request path, so any
 * percent-escape (%2F, %2e%2e, %00) fails the grammar and is rejected rather than normalised.
 */
import { RegistryError } from './errors.js';
import { looksLikeDigest, parseDigest, truncate, type Digest } from './digest.js';

const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
export const MAX_NAME_LENGTH = 255;

export function validateName(name: string): string {
  if (name.length > MAX_NAME_LENGTH) {
    throw new RegistryError('NAME_INVALID', `repository name is ${name.length} characters long; the limit is ${MAX_NAME_LENGTH}`, {
      detail: { name: truncate(name) },
    });
  }
  if (!NAME.test(name)) {
    throw new RegistryError(
      'NAME_INVALID',
      `invalid repository name "${truncate(name)}": use lower-case path components of [a-z0-9] separated by ".", "_", "__" or "-", joined by "/"`,
      { detail: { name: truncate(name) } },
    );
  }
  return name;
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

export function validateTag(tag: string): string {
  if (!TAG.test(tag)) {
    throw new RegistryError('MANIFEST_INVALID', `invalid tag "${truncate(tag)}": a tag matches [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`, {
      detail: { tag: truncate(tag) },
    });
  }
  return tag;
}

export type Reference = { kind: 'digest'; digest: Digest } | { kind: 'tag'; tag: string };

/** A manifest reference is a digest when it contains ':', otherwise a tag. */
export function parseReference(raw: string): Reference {
  if (looksLikeDigest(raw)) return { kind: 'digest', digest: parseDigest(raw) };
  return { kind: 'tag', tag: validateTag(raw) };
}
