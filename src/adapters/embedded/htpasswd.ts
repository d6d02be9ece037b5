/**
 * An Apache htpasswd file (`serve --auth local --htpasswd FILE`), as distribution and zot use:
 *
 *   # comment
 *   alice:$2y$05$<22 characters of salt><31 of hash>
 *
 * Only bcrypt entries (`$2y$`, `$2a$`, `$2b$`, made by `htpasswd -B`) are accepted: MD5
 * (`$apr1$`), SHA-1 (`{SHA}`), crypt and plain text are too cheap to guess offline, so a file
 * holding any of them is refused at start, naming the line. The file is re-read when its
 * modification time or size changes (checked at each login), so adding a user with
 * `htpasswd -B FILE NAME` takes effect at the next login; a file that turns bad while the
 * server runs serves no logins until it is fixed (failing closed), and says so in the log.
 * An htpasswd user has no groups: the policy names it by user name.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '../../ports/logger.js';
import { BCRYPT } from './password-hash.js';

export interface HtpasswdEntry {
  line: number;
  name: string;
  hash: string;
}

export interface HtpasswdProblem {
  line: number;
  reason: string;
}

export const SUPPORTED_FORMAT = 'only bcrypt entries are supported (NAME:$2y$..., made by `htpasswd -B`)';

/** Names `anonymous` is reserved for callers without credentials. */
const RESERVED = new Set(['anonymous']);

/** The kind of a hash that is not bcrypt, for the refusal. */
function kindOf(hash: string): string {
  if (hash.startsWith('$apr1$')) return 'an MD5 (apr1) hash';
  if (hash.startsWith('{SHA}')) return 'a SHA-1 hash';
  if (hash.startsWith('$2')) return 'a malformed bcrypt hash';
  if (/^\$[0-9a-z]+\$/.test(hash)) return `a ${hash.split('$')[1]} crypt hash`;
  return 'a crypt or plain-text password';
}

/** Every entry and every problem of an htpasswd text; blank lines and `#` comments are skipped. */
export function parseHtpasswd(text: string): { entries: HtpasswdEntry[]; problems: HtpasswdProblem[] } {
  const entries: HtpasswdEntry[] = [];
  const problems: HtpasswdProblem[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const colon = trimmed.indexOf(':');
    const name = trimmed.slice(0, Math.max(colon, 0));
    const hash = trimmed.slice(colon + 1).split(':')[0]!; // Apache allows trailing fields
    const reason =
      colon <= 0
        ? 'not NAME:HASH'
        : RESERVED.has(name)
          ? `"${name}" is reserved`
          : !BCRYPT.test(hash)
            ? `${kindOf(hash)}: ${SUPPORTED_FORMAT}`
            : seen.has(name)
              ? `${name.slice(0, 64)} appears twice`
              : null;
    if (reason) {
      problems.push({ line, reason });
      continue;
    }
    seen.add(name);
    entries.push({ line, name, hash });
  }
  return { entries, problems };
}

/** The one-line refusal of a file with problems: the first one, with its line number. */
export function htpasswdError(path: string, problems: readonly HtpasswdProblem[]): Error {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more line${problems.length > 2 ? 's' : ''})` : '';
  return new Error(`${path}:${first.line}: ${first.reason}${more}`);
}

export class HtpasswdFile {
  private users = new Map<string, string>();
  private version = '';

  private constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {}

  /** Reads the file; refuses it (one line naming the line number) when any entry is not bcrypt. */
  static async open(path: string, log: Logger): Promise<HtpasswdFile> {
    const file = new HtpasswdFile(path, log);
    const version = await file.currentVersion();
    const { entries, problems } = parseHtpasswd(await readFile(path, 'utf8'));
    if (problems.length > 0) throw htpasswdError(path, problems);
    file.users = new Map(entries.map((e) => [e.name, e.hash]));
    file.version = version;
    return file;
  }

  names(): string[] {
    return [...this.users.keys()];
  }

  /** The bcrypt hash of a user, from the file as it is now (re-read when it changed). */
  async hashOf(name: string): Promise<string | undefined> {
    await this.refresh();
    return this.users.get(name);
  }

  private async currentVersion(): Promise<string> {
    const s = await stat(this.path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  }

  private async refresh(): Promise<void> {
    let version: string;
    try {
      version = await this.currentVersion();
      if (version === this.version) return;
      const { entries, problems } = parseHtpasswd(await readFile(this.path, 'utf8'));
      if (problems.length > 0) throw htpasswdError(this.path, problems);
      this.users = new Map(entries.map((e) => [e.name, e.hash]));
    } catch (err) {
      if (this.version !== 'unusable') this.log.error(`htpasswd: ${(err as Error).message}; no htpasswd logins until the file is fixed`);
      this.users = new Map();
      this.version = 'unusable';
      return;
    }
    this.version = version;
  }
}
