/**
 * `stowage user add|remove|list|import-htpasswd`: the local users of `serve --auth local`, in
 * the same --data-dir. A password is read from standard input, never from an argument (arguments show
 * in `ps` and shell history): typed without echo on a terminal, else the first line of stdin,
 * so `printf '%s\n' "$PW" | stowage user add ci` works in scripts.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hashPassword } from '../adapters/embedded/password-hash.js';
import { DataPaths } from '../adapters/embedded/paths.js';
import { groupProblem, usernameProblem, UsersFile } from '../adapters/embedded/users-file.js';
import { parseHtpasswd } from '../adapters/embedded/htpasswd.js';
import { SETTINGS } from '../config/settings.js';
import { argsError, ConfigError } from './config-error.js';
import { prepareDataDir } from './data-dir.js';
import { configFileOf, flagOptions, resolveSettings } from './serve-config.js';
import { usageLine } from './usage.js';

export const USER_USAGE = `usage: stowage user add NAME [--groups a,b] [--update]   password from stdin (a prompt on a terminal)
       stowage user remove NAME
       stowage user list
       stowage user import-htpasswd FILE [--groups a,b] [--update]
  --update                 replace the password and groups of a user that exists (else refused)
  --groups a,b             the user's groups (import: of every imported user)
  --config FILE            the server's config file (its dataDir is used)
${usageLine(SETTINGS.dataDir)}

import-htpasswd copies the bcrypt entries of an Apache htpasswd file (htpasswd -B) into the users
file, keeping their hashes (the passwords stay the same); other entries are skipped, each named.
`;

const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;

export async function userCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { values, positionals } = parseUserArgs(argv);
  const [sub, name, ...extra] = positionals;
  if (values.help || sub === undefined) {
    process.stdout.write(USER_USAGE);
    return;
  }
  // The same data directory `serve` would use with the same flags, environment and --config file.
  const dataDir = resolveSettings([SETTINGS.dataDir], values, env, configFileOf(values)).get(SETTINGS.dataDir) ?? SETTINGS.dataDir.default;
  const paths = new DataPaths(resolve(dataDir as string));
  const users = new UsersFile(paths.usersFile);
  if (extra.length > 0) throw new Error(`unexpected arguments: ${extra.join(' ')} (the password is read from stdin, never an argument)`);
  const groups = (values.groups ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  switch (sub) {
    case 'add': {
      if (!name) throw new Error('user add needs a NAME');
      const problem = usernameProblem(name) ?? groups.map(groupProblem).find((p) => p !== null);
      if (problem) throw new Error(problem);
      // Before the password prompt: an unusable data directory, or a typo in a name that would
      // reset someone else's password, is said before anything is typed.
      await prepareDataDir(paths.root);
      if (!values.update && (await users.get(name))) throw new Error(`user ${name} exists: add --update to replace its password and groups`);
      const password = await readPassword();
      if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) throw new Error(`the password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`);
      const result = await users.put(name, await hashPassword(password), groups, values.update === true);
      process.stdout.write(`user ${name} ${result}${groups.length ? ` (groups: ${groups.join(', ')})` : ''}\n`);
      return;
    }
    case 'remove': {
      if (!name) throw new Error('user remove needs a NAME');
      if (!(await users.remove(name))) throw new Error(`no user ${name}`);
      process.stdout.write(`user ${name} removed; tokens already issued to it expire within their lifetime\n`);
      return;
    }
    case 'import-htpasswd': {
      if (!name) throw new Error('user import-htpasswd needs the FILE to import');
      const problem = groups.map(groupProblem).find((p) => p !== null);
      if (problem) throw new Error(problem);
      await importHtpasswd(name, users, groups, values.update === true, paths.root);
      return;
    }
    case 'list': {
      for (const [user, record] of await users.read()) process.stdout.write(`${user}\t${record.groups.join(',')}\n`);
      return;
    }
    default:
      throw new ConfigError(`unknown user command "${sub}": use add, remove, list or import-htpasswd (stowage user --help)`);
  }
}

/** The command's flags and positionals; an unknown flag is a usage error (exit status 2). */
function parseUserArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { ...flagOptions([SETTINGS.dataDir]), groups: { type: 'string' }, update: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw argsError(err, 'user', [`--${SETTINGS.dataDir.flag}`, '--config', '--groups', '--update', '--help']);
  }
}

/**
 * Copies the bcrypt entries of an htpasswd file into the users file in one write; reports what
 * was imported on stdout and every skipped line on stderr.
 */
async function importHtpasswd(file: string, users: UsersFile, groups: string[], update: boolean, dataRoot: string): Promise<void> {
  const { entries, problems } = parseHtpasswd(await readFile(file, 'utf8'));
  const skipped = problems.map((p) => `line ${p.line}: ${p.reason}`);
  const importable = entries.filter((e) => {
    const problem = usernameProblem(e.name);
    if (problem) skipped.push(`line ${e.line}: ${problem}`);
    return problem === null;
  });
  await prepareDataDir(dataRoot);
  const result = await users.putMany(
    importable.map((e) => ({ name: e.name, passwordHash: e.hash, groups })),
    update,
  );
  for (const n of result.existing) skipped.push(`line ${importable.find((e) => e.name === n)!.line}: user ${n} exists (add --update to replace it)`);
  skipped.sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
  for (const line of skipped) process.stderr.write(`skipped ${file} ${line}\n`);
  const imported = result.added.length + result.updated.length;
  process.stdout.write(
    `imported ${imported} user${imported === 1 ? '' : 's'} from ${file} (${result.added.length} added, ${result.updated.length} updated), skipped ${skipped.length}\n`,
  );
}

/** The password: typed without echo on a terminal, else the first line of standard input. */
async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    process.stderr.write('Password: ');
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    try {
      let typed = '';
      for await (const chunk of stdin) {
        for (const c of chunk as string) {
          if (c === '\r' || c === '\n') return typed;
          if (c === '\u0003') throw new Error('cancelled');
          if (c === '\u007f') typed = typed.slice(0, -1);
          else typed += c;
        }
      }
      return typed;
    } finally {
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.split(/\r?\n/)[0] ?? '';
}
