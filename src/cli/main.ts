/**
 * `stowage` command line. `stowage serve` runs the registry on the embedded default
 * (filesystem blobs + SQLite metadata under --data-dir); `stowage user` manages the local
 * users `serve --auth local` logs in against; `stowage check`, `backup` and `restore` are the
 * operator's safety nets for the embedded data directory (store-commands.ts).
 *
 * Each command's module is imported when that command runs: `stowage gc` or `stowage user` does
 * not load the HTTP shell, the auth adapters or the other commands (node start-up is part of
 * what an operator waits for, and of the collection bench row).
 */
import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { ConfigError } from './config-error.js';
import { MAIN_USAGE } from './usage.js';

/** The version of the package this CLI belongs to (package.json, read once when asked). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const COMMAND_NAMES = 'serve, user, gc, check, backup, restore, lifecycle, repo, usage, login, help, version';

export async function main(argv: string[]): Promise<void> {
  // Everything any command writes (the server's data, a backup, a restore, a users file) is private
  // to its user whatever umask it was started with: blobs are private layers (the adapters also
  // pass 0600/0700 where they create files). Node refuses umask in a worker thread (the local
  // harness runs the upload service in one); the process that started it set its own.
  if (isMainThread) process.umask(0o077);
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await (await import('./serve-command.js')).serve(rest);
      break;
    case 'user':
      await (await import('./user-command.js')).userCommand(rest);
      break;
    case 'gc':
      await (await import('./gc-command.js')).gcCommand(rest);
      break;
    case 'check':
      process.exitCode = await (await import('./store-commands.js')).checkCommand(rest);
      break;
    case 'backup':
      await (await import('./store-commands.js')).backupCommand(rest);
      break;
    case 'restore':
      await (await import('./store-commands.js')).restoreCommand(rest);
      break;
    case 'lifecycle':
      await (await import('./admin-commands.js')).lifecycleCommand(rest);
      break;
    case 'repo':
      await (await import('./admin-commands.js')).repoCommand(rest);
      break;
    case 'usage':
      await (await import('./admin-commands.js')).usageCommand(rest);
      break;
    case 'login':
      await (await import('./login-command.js')).loginCommand(rest);
      break;
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`stowage ${version()}\n`);
      break;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(MAIN_USAGE);
      break;
    default:
      throw new ConfigError(
        command.startsWith('-')
          ? `unknown option "${command.slice(0, 60)}": use --help, --version or a command (${COMMAND_NAMES})`
          : `unknown command "${command.slice(0, 60)}": use ${COMMAND_NAMES} (stowage --help lists them)`,
      );
  }
}
