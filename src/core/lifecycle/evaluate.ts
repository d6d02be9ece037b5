/**
 * ECR's lifecycle evaluation, pure: which images of one repository a policy expires now.
 *
 * ECR's documented semantics ("How lifecycle policies work", "Examples of lifecycle policies"):
 * - rules apply in rulePriority order, lowest number first;
 * - a rule selects images by tags: `tagged` with a prefix list selects images that have, for
 *   EVERY prefix of the list, a tag starting with it (a pattern list likewise, each pattern a
 *   `*` wildcard matching a whole tag); `untagged` selects images without tags; `any` all;
 * - imageCountMoreThan N keeps the newest N selected images by push time and marks the older
 *   ones; sinceImagePushed N days marks selected images pushed more than N days before `now`;
 * - an image that matches the tag selection of a rule cannot be expired by a rule of lower
 *   priority: later rules still count it (as if it had not been expired) but never mark it;
 * - so an image is expired by at most one rule, whose priority the result names.
 *
 * Images are what `listImages` gives: every manifest of the repository that stands on its own.
 * The caller leaves out manifests an index of the repository references (platform images of a
 * multi-arch image: they go with their index) and referrers (signatures, SBOMs: they go with
 * their subject); ECR's own evaluator has been known to break multi-arch images that way.
 */
import { componentMatches } from '../auth/patterns.js';
import type { LifecyclePolicy, LifecycleRule } from './policy-document.js';

export interface LifecycleImage {
  digest: string;
  tags: readonly string[];
  /** ISO 8601 push time. */
  pushedAt: string;
}

export interface Expiry {
  image: LifecycleImage;
  /** The rule that expires it. */
  rulePriority: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whether the rule's tag selection takes the image (before any count or age). */
export function selects(rule: LifecycleRule, image: LifecycleImage): boolean {
  const s = rule.selection;
  switch (s.tagStatus) {
    case 'any':
      return true;
    case 'untagged':
      return image.tags.length === 0;
    case 'tagged': {
      if (image.tags.length === 0) return false;
      if (s.tagPrefixList) return s.tagPrefixList.every((prefix) => image.tags.some((t) => t.startsWith(prefix)));
      return (s.tagPatternList ?? []).every((pattern) => image.tags.some((t) => componentMatches(pattern, t)));
    }
  }
}

/** Newest first; equal times in digest order so that results never depend on listing order. */
function newestFirst(a: LifecycleImage, b: LifecycleImage): number {
  const t = Date.parse(b.pushedAt) - Date.parse(a.pushedAt);
  return t !== 0 ? t : a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

/** The images the policy expires at `now`, oldest first (the order ECR expires them in). */
export function evaluateLifecycle(policy: LifecyclePolicy, images: readonly LifecycleImage[], now: Date): Expiry[] {
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  // Images whose tags a higher-priority rule selected: never expired by a later rule.
  const claimed = new Set<string>();
  const expired = new Map<string, Expiry>();
  for (const rule of rules) {
    const selected = images.filter((i) => selects(rule, i)).sort(newestFirst);
    const n = rule.selection.countNumber;
    const marked = rule.selection.countType === 'imageCountMoreThan' ? selected.slice(n) : selected.filter((i) => now.getTime() - Date.parse(i.pushedAt) > n * DAY_MS);
    for (const image of marked) if (!claimed.has(image.digest)) expired.set(image.digest, { image, rulePriority: rule.rulePriority });
    for (const image of selected) claimed.add(image.digest);
  }
  return [...expired.values()].sort((a, b) => newestFirst(b.image, a.image));
}
