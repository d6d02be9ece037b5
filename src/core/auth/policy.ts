/**
 * The authorization policy: which principals may do which actions on which repositories, and
 * which repositories anyone may pull. Validated with zod from a YAML or JSON document:
 *
 *   version: 1
 *   anonymous:
 *     pull: ["public/**"]              # pulled by anyone, without credentials
 *   rules:
 *     - principals:
 *         users: [alice]               # local user names / Cognito user names (token subject)
 *         groups: [team-a]             # local groups / Cognito groups
 *         clients: [ci-build]          # machine clients (client-credentials grant), by client id
 *         iam: ["arn:aws:iam::123456789012:role/build-*"]   # AWS IAM identities (`stowage login`)
 *         authenticated: false         # true: every authenticated user and client (never an IAM identity)
 *       repositories: ["team-a/*"]
 *       actions: [pull, push]          # pull, push, delete, catalog, or "*" for all four
 *
 * Rules only allow; nothing is allowed unless a rule (or the anonymous list, for pull) says so.
 * `iam` patterns match the ARN of an identity that logged in with a signed sts:GetCallerIdentity
 * request (an assumed role as its role, `arn:aws:iam::ACCOUNT:role/NAME`, without the role's
 * path, which STS does not return); `*` matches any run of characters. IAM identities are
 * matched by these patterns only: `authenticated: true` does not take them in, since any AWS
 * account in the world can sign a GetCallerIdentity request.
 * `clients` match machine principals only: a human whose token came through some app client is
 * matched by user name and groups, never by that client id. `catalog` lets a principal call
 * /v2/_catalog (the rule's repositories do not matter for it); the listing itself shows only the
 * repositories the principal may pull. Pure: the file is read by the caller (see ./policy-file.ts).
 */
// zod's mini API, with named imports: the same checks and messages as the classic API in about
// a quarter of the bytes (every registry Lambda validates the policy at its first request), and
// the namespace import would defeat tree-shaking and pull every locale into each bundle. The mini
// API loads no locale by itself; English is set before the first parse.
import { _default, array, boolean, config, minLength, maxLength, literal, optional, strictObject, string, superRefine, enum as zodEnum, type input as ZodInput } from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import type { Action } from '../routes.js';
import { componentMatches, RepositoryPattern } from './patterns.js';
import type { Principal } from './principal.js';

const ACTIONS = ['pull', 'push', 'delete', 'catalog'] as const;

const Pattern = string().check(
  superRefine((s, ctx) => {
    const problem = RepositoryPattern.problem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
);

const Names = _default(array(string().check(minLength(1), maxLength(256))), []);

/**
 * An IAM principal ARN pattern: `arn:<partition>:iam::<account>:role/...` or `:user/...`, where
 * `*` matches any run of characters. The account is always written out: a wildcard account would
 * let in a role of that name in any AWS account.
 */
const IAM_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@*/-]+$/;
const IamPatterns = _default(
  array(
    string().check(
      maxLength(2048),
      superRefine((s, ctx) => {
        if (!IAM_ARN_PATTERN.test(s))
          ctx.addIssue({
            code: 'custom',
            message: `"${s.slice(0, 100)}": an IAM role or user ARN pattern, arn:aws:iam::ACCOUNT:role/NAME with the 12-digit account written out (* matches any run of characters in the name)`,
          });
      }),
    ),
  ),
  [],
);

const PolicyDocument = strictObject({
  version: literal(1),
  anonymous: _default(strictObject({ pull: _default(array(Pattern), []) }), { pull: [] }),
  rules: _default(
    array(
      strictObject({
        description: optional(string()),
        principals: strictObject({ users: Names, groups: Names, clients: Names, iam: IamPatterns, authenticated: _default(boolean(), false) }),
        repositories: array(Pattern).check(minLength(1)),
        actions: array(zodEnum([...ACTIONS, '*'])).check(minLength(1)),
      }),
    ),
    [],
  ),
});

let messagesInEnglish = false;

export type PolicyDocument = ZodInput<typeof PolicyDocument>;

interface CompiledRule {
  users: ReadonlySet<string>;
  groups: ReadonlySet<string>;
  clients: ReadonlySet<string>;
  iam: readonly string[];
  authenticated: boolean;
  repositories: RepositoryPattern[];
  actions: ReadonlySet<Action>;
}

export class Policy {
  private constructor(
    private readonly rules: readonly CompiledRule[],
    private readonly anonymousPull: readonly RepositoryPattern[],
  ) {}

  /** Validates a parsed document; throws one Error listing every problem. */
  static fromDocument(doc: unknown): Policy {
    if (!messagesInEnglish) {
      config(en());
      messagesInEnglish = true;
    }
    const parsed = PolicyDocument.safeParse(doc);
    if (!parsed.success) {
      throw new Error(`invalid policy: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ')}`);
    }
    const d = parsed.data;
    return new Policy(
      d.rules.map((r) => ({
        users: new Set(r.principals.users),
        groups: new Set(r.principals.groups),
        clients: new Set(r.principals.clients),
        iam: r.principals.iam,
        authenticated: r.principals.authenticated,
        repositories: r.repositories.map(RepositoryPattern.parse),
        actions: new Set(r.actions.includes('*') ? ACTIONS : (r.actions as Action[])),
      })),
      d.anonymous.pull.map(RepositoryPattern.parse),
    );
  }

  /** The default when no policy file is given: every authenticated principal may do everything; no anonymous access. */
  static allowAuthenticated(): Policy {
    return Policy.fromDocument({ version: 1, rules: [{ principals: { authenticated: true }, repositories: ['**'], actions: ['*'] }] });
  }

  /** Whether anyone, without credentials, may pull `repository`. */
  anonymousMayPull(repository: string): boolean {
    return this.anonymousPull.some((p) => p.matches(repository));
  }

  /**
   * What the policy alone allows `principal` (ignoring its token's grant). For `catalog` the
   * repository is ignored. Anonymous principals get the anonymous pull list and nothing else.
   */
  allows(principal: Principal, repository: string | null, action: Action): boolean {
    if (action === 'pull' && repository !== null && this.anonymousMayPull(repository)) return true;
    if (principal.kind === 'anonymous') return false;
    return this.rules.some(
      (r) => r.actions.has(action) && matchesPrincipal(r, principal) && (action === 'catalog' || (repository !== null && r.repositories.some((p) => p.matches(repository)))),
    );
  }

  /** Whether any rule names `principal` at all (IAM login refuses an identity no rule names). */
  namesPrincipal(principal: Principal): boolean {
    return principal.kind !== 'anonymous' && this.rules.some((r) => matchesPrincipal(r, principal));
  }
}

function matchesPrincipal(rule: CompiledRule, p: Principal): boolean {
  if (p.kind === 'iam') return rule.iam.some((pattern) => componentMatches(pattern, p.subject));
  if (rule.authenticated) return true;
  if (p.kind === 'user' && rule.users.has(p.subject)) return true;
  if (p.kind === 'client' && p.clientId !== null && rule.clients.has(p.clientId)) return true;
  return p.groups.some((g) => rule.groups.has(g));
}

/**
 * A policy from its document's text, read by `read`: JSON by default, which is what the Lambda
 * environment carries; ./policy-file.ts reads YAML too (kept apart so that no Lambda bundle
 * carries a YAML parser). Every problem is prefixed with `source`.
 */
export function parsePolicyDocumentText(text: string, source = 'policy', read: (text: string) => unknown = JSON.parse): Policy {
  let doc: unknown;
  try {
    doc = read(text);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
  try {
    return Policy.fromDocument(doc);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
}
