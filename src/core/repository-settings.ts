/**
 * Per-repository settings: one schema for the config file's `repositories:` list (embedded) and
 * the CDK construct's `repositories` prop (AWS, carried to the Lambdas as JSON in one setting):
 *
 *   repositories:
 *     - match: "prod/**"                 # repository pattern (src/core/auth/patterns.ts)
 *       tagMutability: IMMUTABLE_WITH_EXCLUSION
 *       tagMutabilityExclusions: ["latest", "dev-*"]   # ECR wildcard filters
 *       lifecyclePolicy: { rules: [ ... ] }            # an ECR lifecycle policy document
 *
 * A repository takes the FIRST entry whose pattern matches it; a repository no entry matches is
 * MUTABLE without a lifecycle policy. Tag mutability follows ECR's four settings:
 *   MUTABLE                    every tag may move
 *   IMMUTABLE                  no tag may move once set
 *   IMMUTABLE_WITH_EXCLUSION   no tag may move, except tags matching an exclusion filter
 *   MUTABLE_WITH_EXCLUSION     every tag may move, except tags matching an exclusion filter
 * "Move" means pointing an existing tag at another digest; pushing the digest a tag already
 * names is always allowed, and so is deleting a tag (as in ECR).
 */
import { array, minLength, maxLength, optional, regex, strictObject, string, superRefine, enum as zodEnum, type input as ZodInput, type output as ZodOutput } from 'zod/mini';
import { componentMatches, RepositoryPattern } from './auth/patterns.js';
import { LifecyclePolicyDocument, type Checked, type LifecyclePolicy } from './lifecycle/policy-document.js';
import { inEnglish, issuesText } from './lifecycle/zod-messages.js';

export const TAG_MUTABILITY = ['MUTABLE', 'IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE_WITH_EXCLUSION'] as const;
export type TagMutability = (typeof TAG_MUTABILITY)[number];

/** ECR's exclusion filter: 1-128 characters of a tag, with `*` wildcards. */
const ExclusionFilter = string().check(
  minLength(1),
  maxLength(128),
  regex(/^[0-9A-Za-z._*-]+$/, { message: 'a filter is tag characters (letters, digits, . _ -) and * wildcards' }),
);

const Pattern = string().check(
  superRefine((s, ctx) => {
    const problem = RepositoryPattern.problem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: s });
  }),
);

const Entry = strictObject({
  match: Pattern,
  tagMutability: optional(zodEnum(TAG_MUTABILITY)),
  tagMutabilityExclusions: optional(array(ExclusionFilter).check(maxLength(5))),
  lifecyclePolicy: optional(LifecyclePolicyDocument),
}).check(
  superRefine((e, ctx) => {
    const withExclusion = e.tagMutability === 'IMMUTABLE_WITH_EXCLUSION' || e.tagMutability === 'MUTABLE_WITH_EXCLUSION';
    if (withExclusion !== (e.tagMutabilityExclusions !== undefined && e.tagMutabilityExclusions.length > 0)) {
      ctx.addIssue({
        code: 'custom',
        input: e,
        path: ['tagMutabilityExclusions'],
        message: 'tagMutabilityExclusions (1 to 5 filters) go with tagMutability IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION, and only with them',
      });
    }
  }),
);

const SettingsList = array(Entry);

export type RepositorySettingsEntry = ZodOutput<typeof Entry>;
/** One entry as written (the config file's list item, the CDK construct's prop). */
export type RepositorySettingsInput = ZodInput<typeof Entry>;

/** What applies to one repository. */
export interface RepositorySettingsFor {
  /** Index of the entry that matched, or null when none did. */
  entry: number | null;
  match: string | null;
  tagMutability: TagMutability;
  exclusions: readonly string[];
  lifecyclePolicy: LifecyclePolicy | null;
}

export class RepositorySettings {
  private readonly patterns: RepositoryPattern[];

  private constructor(readonly entries: readonly RepositorySettingsEntry[]) {
    this.patterns = entries.map((e) => RepositoryPattern.parse(e.match));
  }

  /** No entries: every repository MUTABLE, no lifecycle policy (the default). */
  static readonly NONE = new RepositorySettings([]);

  /** Validates the parsed list; every problem names its path below `repositories`. */
  static check(doc: unknown): Checked<RepositorySettings> {
    inEnglish();
    const parsed = SettingsList.safeParse(doc);
    if (!parsed.success) return { ok: false, problems: issuesText(parsed.error.issues, 'repositories') };
    return { ok: true, value: new RepositorySettings(parsed.data) };
  }

  /** The settings list from its JSON text (the Lambdas' environment); throws one Error naming every problem. */
  static fromJson(text: string, source: string): RepositorySettings {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new Error(`${source}: not valid JSON: ${(err as Error).message}`);
    }
    const checked = RepositorySettings.check(doc);
    if (!checked.ok) throw new Error(`${source}: ${checked.problems.join('; ')}`);
    return checked.value;
  }

  /** The first matching entry's settings. */
  for(repository: string): RepositorySettingsFor {
    const i = this.patterns.findIndex((p) => p.matches(repository));
    const e = this.entries[i];
    if (!e) return { entry: null, match: null, tagMutability: 'MUTABLE', exclusions: [], lifecyclePolicy: null };
    return { entry: i, match: e.match, tagMutability: e.tagMutability ?? 'MUTABLE', exclusions: e.tagMutabilityExclusions ?? [], lifecyclePolicy: e.lifecyclePolicy ?? null };
  }
}

/** Whether `tag` of a repository with these settings may no longer move once set. */
export function isTagImmutable(settings: RepositorySettingsFor, tag: string): boolean {
  const excluded = settings.exclusions.some((f) => componentMatches(f, tag));
  switch (settings.tagMutability) {
    case 'MUTABLE':
      return false;
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !excluded;
    case 'MUTABLE_WITH_EXCLUSION':
      return excluded;
  }
}

/** The rule in words, for the refusal's message: which entry made the tag immutable. */
export function immutabilityRule(settings: RepositorySettingsFor): string {
  const exclusions = settings.exclusions.length ? ` (exclusions ${settings.exclusions.map((f) => `"${f}"`).join(', ')})` : '';
  return `repositories[${settings.entry}] match "${settings.match}": tagMutability ${settings.tagMutability}${exclusions}`;
}
