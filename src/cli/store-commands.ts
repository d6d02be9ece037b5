/**
 * The operator's safety nets for the embedded data directory: `stowage check` (scrub, optionally
 * repair), `stowage backup DIR` and `stowage restore DIR`. The work is done in
 * src/adapters/embedded/scrub.ts and backup.ts; this module parses flags and prints.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backupDataDir, restoreDataDir } from '../adapters/embedded/backup.js';
import { deadLetters } from '../adapters/embedded/event-outbox.js';
import { problemLine, scrubDataDir, summaryLine } from '../adapters/embedded/scrub.js';
import { SETTINGS } from '../config/settings.js';
import { argsError, ConfigError } from './config-error.js';
import { configFileOf, flagOptions, resolveSettings } from './serve-config.js';
import { usageLine } from './usage.js';

const DATA_DIR_USAGE = usageLine(SETTINGS.dataDir);

export const CHECK_USAGE = `usage: stowage check [--repair] [--json] [--data-dir DIR | --config FILE]

Scrubs the data directory: every blob's digest recomputed; links, manifests, tags and referrers
cross-checked with each other and with the blob files; events that could not be delivered listed.
One line per problem, then a summary; exit status 1 while problems remain. Safe beside a running
server.
  --repair                 remove what is provably safe to remove (a corrupt blob with its links,
                           links to missing blobs, manifests whose bytes do not match their digest,
                           dangling tags); each line says what was done
  --json                   one JSON object instead of lines
  --config FILE            the server's config file (its dataDir is used)
${DATA_DIR_USAGE}
`;

export const BACKUP_USAGE = `usage: stowage backup DIR [--data-dir DIR | --config FILE]

Copies the data directory into DIR (new or empty) while the server runs: a consistent snapshot of
the metadata (SQLite online backup), then the blobs it references, the users file and the token
signing key. DIR is itself a data directory; stowage restore puts it back.
  --config FILE            the server's config file (its dataDir is used)
${DATA_DIR_USAGE}
`;

export const RESTORE_USAGE = `usage: stowage restore DIR [--data-dir DIR | --config FILE]

Restores the backup in DIR into the data directory, which must not exist or be empty. The copy is
verified (every blob rehashed) before it is put in place; a damaged backup restores nothing.
  --config FILE            the server's config file (its dataDir is used)
${DATA_DIR_USAGE}
`;

function parse(command: string, argv: string[], extra: Record<string, { type: 'boolean' }>) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: true, options: { ...flagOptions([SETTINGS.dataDir]), ...extra } });
  } catch (err) {
    throw argsError(err, command, [`--${SETTINGS.dataDir.flag}`, '--config', ...Object.keys(extra).map((k) => `--${k}`), '--help']);
  }
}

/** The data directory `serve` would use with the same flags, environment and --config file. */
function dataDirOf(values: Record<string, unknown>, env: NodeJS.ProcessEnv): string {
  return resolve((resolveSettings([SETTINGS.dataDir], values, env, configFileOf(values)).get(SETTINGS.dataDir) ?? SETTINGS.dataDir.default) as string);
}

/** Returns the exit status: 0 when the store is sound (or everything found was repaired), else 1. */
export async function checkCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parse('check', argv, { repair: { type: 'boolean' }, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(CHECK_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new ConfigError(`stowage check takes no arguments besides its options (got "${positionals[0]?.slice(0, 60)}")`);
  const report = await scrubDataDir(dataDirOf(values, env), { repair: values.repair === true }, { deadLetters });
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    for (const p of report.problems) process.stdout.write(`${problemLine(p)}\n`);
    process.stdout.write(`${summaryLine(report)}\n`);
  }
  return report.remaining > 0 ? 1 : 0;
}

export async function backupCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { values, positionals } = parse('backup', argv, {});
  if (values.help) {
    process.stdout.write(BACKUP_USAGE);
    return;
  }
  const dest = oneDir('backup', positionals);
  const r = await backupDataDir(dataDirOf(values, env), dest);
  for (const digest of r.vanished) process.stderr.write(`blob ${digest} was deleted while the backup ran: its links are not in the backup\n`);
  process.stdout.write(`backed up ${r.repositories} repositories, ${r.manifests} manifests, ${r.blobs} blobs (${r.bytes} bytes) into ${r.dir}\n`);
}

export async function restoreCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { values, positionals } = parse('restore', argv, {});
  if (values.help) {
    process.stdout.write(RESTORE_USAGE);
    return;
  }
  const from = oneDir('restore', positionals);
  const r = await restoreDataDir(from, dataDirOf(values, env));
  process.stdout.write(`restored ${r.manifests} manifests, ${r.blobs} blobs (${r.bytes} bytes, every one verified) into ${r.dir}\n`);
}

function oneDir(command: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new ConfigError(`stowage ${command} needs one DIR (stowage ${command} --help)`);
  return positionals[0] as string;
}
