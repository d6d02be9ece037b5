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
 * `**` must be a whole component. Matching never uses a regular expression (see matches()).
 */
const COMPONENT = /^(\*\*|[a-z0-9*]+(?:(?:[._]|__|-+)[a-z0-9*]+)*|\*)$/;

export class RepositoryPattern {
  private readonly components: string[];

  private constructor(readonly source: string) {
    this.components = source.split('/');
  }

  /** A reason the pattern is invalid, or null. */
  static problem(source: string): string | null {
    if (source.length === 0 || source.length > 255) return 'a pattern is 1 to 255 characters';
    for (const c of source.split('/')) {
      if (c.includes('**') && c !== '**') return `"${source}": ** must be a whole component`;
      if (!COMPONENT.test(c)) return `"${source}": each component is a repository name component (lower case, digits, . _ -) where * matches within the component, or ** alone`;
    }
    return null;
  }

  static parse(source: string): RepositoryPattern {
    const problem = RepositoryPattern.problem(source);
    if (problem) throw new Error(problem);
    return new RepositoryPattern(source);
  }

  /**
   * Component by component, with a table of which pattern prefixes match which name prefixes:
   * O(pattern components x name components) whatever the wildcards, where a regular expression
   * with several `**` could backtrack exponentially on a long name.
   */
  matches(repository: string): boolean {
    const name = repository.split('/');
    const pat = this.components;
    // ok[j]: the first i pattern components match the first j name components.
    let ok = name.map(() => false);
    ok.unshift(true);
    for (const c of pat) {
      const next = ok.map(() => false);
      for (let j = 1; j <= name.length; j++) {
        // `**` takes name component j-1 either as its first component or as one more.
        if (c === '**') next[j] = ok[j - 1]! || next[j - 1]!;
        else next[j] = ok[j - 1]! && componentMatches(c, name[j - 1]!);
      }
      ok = next;
    }
    return ok[name.length]!;
  }
}

/**
 * Glob match of one component where `*` matches any run of characters: O(pattern x text) at worst,
 * never exponential. Also ECR's wildcard filters (lifecycle tag patterns, tag-mutability
 * exclusions), which have the same grammar.
 */
export function componentMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
