/**
 * The local users file, `<data-dir>/users.json` (mode 0600):
 *
 *   {"version":1,"users":{"alice":{"passwordHash":"$argon2id$...","groups":["team-a"],"createdAt":"..."}}}
 *
 * A password hash is argon2id, or bcrypt for users imported from an htpasswd file (their hashes
 * are kept as they are; ./password-hash.ts verifies both).
 *
 * Written whole to a temporary file and renamed over the old one, so a reader (the running
 * server reads it at every login, so `stowage user add` takes effect at once) never sees half
 * a file. Names follow the Docker/Unix user name shape; `anonymous` is reserved for callers
 * without credentials.
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';

export const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const RESERVED = new Set(['anonymous']);

const UserRecord = z.object({
  passwordHash: z.string(),
  groups: z.array(z.string()),
  createdAt: z.string(),
});
const UsersDocument = z.object({ version: z.literal(1), users: z.record(z.string(), UserRecord) });

export type UserRecord = z.infer<typeof UserRecord>;

export function usernameProblem(name: string): string | null {
  if (!USERNAME.test(name)) return `user name "${name.slice(0, 70)}" must be 1-64 characters: lower-case letters, digits, . _ - (starting with a letter or digit)`;
  if (RESERVED.has(name)) return `"${name}" is reserved`;
  return null;
}

export function groupProblem(group: string): string | null {
  return GROUP.test(group) ? null : `group "${group.slice(0, 130)}" must be 1-128 characters: letters, digits, . _ -`;
}

export class UsersFile {
  constructor(readonly path: string) {}

  /** Every user; an absent file is no users. A corrupt file is an error (never "no users"). */
  async read(): Promise<Map<string, UserRecord>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw err;
    }
    const parsed = UsersDocument.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${this.path} is not a valid users file: ${parsed.error.issues[0]?.message ?? ''}`);
    return new Map(Object.entries(parsed.data.users));
  }

  async get(name: string): Promise<UserRecord | undefined> {
    return (await this.read()).get(name);
  }

  async write(users: Map<string, UserRecord>): Promise<void> {
    const doc = { version: 1, users: Object.fromEntries([...users.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) };
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.path);
  }

  /**
   * Adds a user, or replaces one when `replace` (keeping createdAt); an existing user without
   * `replace` is refused, so a typo in a name never resets someone else's password.
   */
  async put(name: string, passwordHash: string, groups: string[], replace = false): Promise<'added' | 'updated'> {
    const { added, existing } = await this.putMany([{ name, passwordHash, groups }], replace);
    if (existing.length > 0) throw new Error(`user ${name} exists: add --update to replace its password and groups`);
    return added.length > 0 ? 'added' : 'updated';
  }

  /** Adds several users in one write (an import); existing names are replaced only when `replace`. */
  async putMany(
    entries: readonly { name: string; passwordHash: string; groups: string[] }[],
    replace: boolean,
  ): Promise<{ added: string[]; updated: string[]; existing: string[] }> {
    for (const { name, groups } of entries) {
      const problem = usernameProblem(name) ?? groups.map(groupProblem).find((p) => p !== null) ?? null;
      if (problem) throw new Error(problem);
    }
    const users = await this.read();
    const result = { added: [] as string[], updated: [] as string[], existing: [] as string[] };
    for (const { name, passwordHash, groups } of entries) {
      const old = users.get(name);
      if (old && !replace) {
        result.existing.push(name);
        continue;
      }
      users.set(name, { passwordHash, groups: [...new Set(groups)], createdAt: old?.createdAt ?? new Date().toISOString() });
      (old ? result.updated : result.added).push(name);
    }
    if (result.added.length + result.updated.length > 0) await this.write(users);
    return result;
  }

  async remove(name: string): Promise<boolean> {
    const users = await this.read();
    if (!users.delete(name)) return false;
    await this.write(users);
    return true;
  }
}
