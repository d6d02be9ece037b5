/**
 * Reads settings (./settings.ts) from an environment, as the Lambdas and the Cognito adapter
 * do: each value checked by its setting's schema, every problem collected so that a
 * misconfigured function reports them all in one line.
 */
import { readEnv, type Setting } from './settings.js';

/** Reads settings from an environment, collecting every problem to report them at once. */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  optional<T>(s: Setting<T>): T | undefined {
    const { value, problem } = readEnv(s, this.env);
    if (problem) this.problems.push(problem);
    return value;
  }

  required<T>(s: Setting<T>, why = ''): T {
    const value = this.optional(s);
    if (value === undefined && !this.problems.some((p) => p.startsWith(s.env))) this.problems.push(`${s.env} is not set${why}`);
    return value as T;
  }

  /** Throws one Error naming every problem, prefixed with what was being configured. */
  check(what: string): void {
    if (this.problems.length > 0) throw new Error(`${what}: ${this.problems.join('; ')}`);
  }
}
