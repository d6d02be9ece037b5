/**
 * `stowage user add|remove|list`: the local users of `serve --auth local`, in the same
 * --data-dir. A password is read from standard input, never from an argument (arguments show
 * in `ps` and shell history): typed without echo on a terminal, else the first line of stdin,
 * so `printf '%s\n' "$PW" | stowage user add ci` works in scripts.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hashPassword } from '../adapters/embedded/password-hash.js';
import { DataPaths } from '../adapters/embedded/paths.js';
import { groupProblem, usernameProblem, UsersFile } from '../adapters/embedded/users-file.js';
import { SETTINGS } from '../config/settings.js';
import { ConfigError } from './config-error.js';
import { configFileOf, flagOptions, resolveSettings } from './serve-config.js';
import { usageLine } from './usage.js';

export const USER_USAGE = `usage: stowage user add NAME [--groups a,b]   password from stdin (a prompt on a terminal)
       stowage user remove NAME
       stowage user list
  --config FILE            the server's config file (its dataDir is used)
${usageLine(SETTINGS.dataDir)}
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
  switch (sub) {
    case 'add': {
      if (!name) throw new Error('user add needs a NAME');
      const groups = (values.groups ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean);
      const problem = usernameProblem(name) ?? groups.map(groupProblem).find((p) => p !== null);
      if (problem) throw new Error(problem);
      const password = await readPassword();
      if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) throw new Error(`the password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`);
      await mkdir(paths.root, { recursive: true });
      const result = await users.put(name, await hashPassword(password), groups);
      process.stdout.write(`user ${name} ${result}${groups.length ? ` (groups: ${groups.join(', ')})` : ''}\n`);
      return;
    }
    case 'remove': {
      if (!name) throw new Error('user remove needs a NAME');
      if (!(await users.remove(name))) throw new Error(`no user ${name}`);
      process.stdout.write(`user ${name} removed; tokens already issued to it expire within their lifetime\n`);
      return;
    }
    case 'list': {
      for (const [user, record] of await users.read()) process.stdout.write(`${user}\t${record.groups.join(',')}\n`);
      return;
    }
    default:
      throw new Error(`unknown user command "${sub}"\n${USER_USAGE}`);
  }
}

/** The command's flags and positionals; an unknown flag is a usage error (exit status 2). */
function parseUserArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { ...flagOptions([SETTINGS.dataDir]), groups: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
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
