/**
 * Repository patterns of the policy. A pattern is a repository name whose components may be
 * wildcards:
 *
 *   team-a/app     exactly that repository
 *   team-a/*       one component below team-a (team-a/app, not team-a/app/x, not team-a)
 *   team-*         `*` inside a component matches within that component only
 *   team-a/**      one or more components below team-a (team-a/app, team-a/app/x)
 *   **             every repository
 *
 * `**` must be a whole component. Compiled once to an anchored regular expression with no
 * nested quantifiers, so matching a long name cannot backtrack badly.
 */
const COMPONENT = /^(\*\*|[a-z0-9*]+(?:(?:[._]|__|-+)[a-z0-9*]+)*|\*)$/;

export class RepositoryPattern {
  private readonly regex: RegExp;

  private constructor(readonly source: string) {
    const parts = source.split('/').map((c) => {
      if (c === '**') return '[^/]+(?:/[^/]+)*';
      return c.replace(/[.+?^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '[^/]*');
    });
    this.regex = new RegExp(`^${parts.join('/')}$`);
  }

  /** A reason the pattern is invalid, or null. */
  static problem(source: string): string | null {
    if (source.length === 0 || source.length > 255) return 'a pattern is 1 to 255 characters';
    for (const c of source.split('/')) {
      if (!COMPONENT.test(c)) return `"${source}": each component is a repository name component (lower case, digits, . _ -) where * matches within the component, or ** alone`;
      if (c.includes('**') && c !== '**') return `"${source}": ** must be a whole component`;
    }
    return null;
  }

  static parse(source: string): RepositoryPattern {
    const problem = RepositoryPattern.problem(source);
    if (problem) throw new Error(problem);
    return new RepositoryPattern(source);
  }

  matches(repository: string): boolean {
    return this.regex.test(repository);
  }
}
