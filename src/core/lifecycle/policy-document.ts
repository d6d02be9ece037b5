/**
 * Amazon ECR lifecycle policy documents, accepted unchanged (ECR user guide, "Lifecycle policy
 * properties"):
 *
 *   { "rules": [ { "rulePriority": 1, "description": "...",
 *                  "selection": { "tagStatus": "tagged"|"untagged"|"any",
 *                                 "tagPrefixList": [...] | "tagPatternList": [...],
 *                                 "countType": "imageCountMoreThan"|"sinceImagePushed",
 *                                 "countUnit": "days", "countNumber": 30 },
 *                  "action": { "type": "expire" } } ] }
 *
 * with ECR's rules on top of the shapes: priorities unique; `tagged` needs a prefix or a pattern
 * list (not both), `untagged` and `any` take neither; at most four `*` per pattern;
 * `sinceImagePushed` needs countUnit `days`, `imageCountMoreThan` takes no countUnit; one rule
 * at most selects untagged images and one at most selects any, and the `any` rule has the
 * highest priority number (it is evaluated last). ECR's archive storage class (storageClass,
 * sinceImagePulled, sinceImageTransitioned, action transition) has nothing to act on here: those
 * keys are refused by name rather than ignored.
 *
 * A refusal names the offending field as a path (`rules[1].selection.tagPrefixList`).
 */
import { array, int, literal, minLength, maxLength, gte, optional, strictObject, string, superRefine, enum as zodEnum, type output as ZodOutput } from 'zod/mini';
import { inEnglish, issuesText } from './zod-messages.js';

const TAG_FILTER = string().check(minLength(1), maxLength(128));

const Rule = strictObject({
  rulePriority: int().check(gte(1)),
  description: optional(string().check(maxLength(256))),
  selection: strictObject({
    tagStatus: zodEnum(['tagged', 'untagged', 'any']),
    tagPrefixList: optional(array(TAG_FILTER).check(minLength(1))),
    tagPatternList: optional(array(TAG_FILTER).check(minLength(1))),
    countType: zodEnum(['imageCountMoreThan', 'sinceImagePushed']),
    countUnit: optional(literal('days')),
    countNumber: int().check(gte(1)),
  }),
  action: strictObject({ type: literal('expire') }),
});

export type LifecycleRule = ZodOutput<typeof Rule>;

const MAX_WILDCARDS = 4;

/** ECR's rules across fields and rules, each issue at the path of the field to fix. */
const Document = strictObject({ rules: array(Rule).check(minLength(1)) }).check(
  superRefine((doc, ctx) => {
    const seen = new Map<number, number>();
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', message, path, input: doc });
    let anyRule = -1;
    let untaggedRule = -1;
    doc.rules.forEach((rule, i) => {
      const s = rule.selection;
      const first = seen.get(rule.rulePriority);
      if (first !== undefined) issue(['rules', i, 'rulePriority'], `priority ${rule.rulePriority} is already used by rules[${first}]: each rule needs its own rulePriority`);
      else seen.set(rule.rulePriority, i);
      const hasPrefix = s.tagPrefixList !== undefined;
      const hasPattern = s.tagPatternList !== undefined;
      if (s.tagStatus === 'tagged' && !hasPrefix && !hasPattern) issue(['rules', i, 'selection', 'tagPrefixList'], 'tagStatus tagged needs a tagPrefixList or a tagPatternList');
      if (s.tagStatus === 'tagged' && hasPrefix && hasPattern) issue(['rules', i, 'selection', 'tagPatternList'], 'give a tagPrefixList or a tagPatternList, not both');
      if (s.tagStatus !== 'tagged' && (hasPrefix || hasPattern)) {
        issue(['rules', i, 'selection', hasPrefix ? 'tagPrefixList' : 'tagPatternList'], `tagStatus ${s.tagStatus} takes no tag list: use tagStatus tagged`);
      }
      s.tagPatternList?.forEach((p, j) => {
        if (p.split('*').length - 1 > MAX_WILDCARDS) issue(['rules', i, 'selection', 'tagPatternList', j], `"${p}" has more than ${MAX_WILDCARDS} wildcards (*)`);
      });
      if (s.countType === 'sinceImagePushed' && s.countUnit === undefined) issue(['rules', i, 'selection', 'countUnit'], 'countType sinceImagePushed needs countUnit "days"');
      if (s.countType === 'imageCountMoreThan' && s.countUnit !== undefined) issue(['rules', i, 'selection', 'countUnit'], 'countType imageCountMoreThan takes no countUnit');
      if (s.tagStatus === 'any') {
        if (anyRule >= 0) issue(['rules', i, 'selection', 'tagStatus'], `only one rule may select tagStatus any (rules[${anyRule}] does)`);
        anyRule = i;
      }
      if (s.tagStatus === 'untagged') {
        if (untaggedRule >= 0) issue(['rules', i, 'selection', 'tagStatus'], `only one rule may select untagged images (rules[${untaggedRule}] does)`);
        untaggedRule = i;
      }
    });
    const anyOne = doc.rules[anyRule];
    if (anyOne && doc.rules.some((r) => r.rulePriority > anyOne.rulePriority)) {
      issue(['rules', anyRule, 'rulePriority'], 'the rule with tagStatus any must have the highest rulePriority (it is evaluated last)');
    }
  }),
);

export type LifecyclePolicy = ZodOutput<typeof Document>;

/** The result of checking a document: the policy, or every problem as `path: message`. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Validates an ECR lifecycle policy document (already parsed from JSON or YAML). */
export function checkLifecyclePolicy(doc: unknown): Checked<LifecyclePolicy> {
  inEnglish();
  const parsed = Document.safeParse(doc);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problems: issuesText(parsed.error.issues) };
}

/** The schema, for documents that embed a lifecycle policy (repository settings). */
export const LifecyclePolicyDocument = Document;
