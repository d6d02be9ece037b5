/**
 * `stowage gc`: one garbage collection of an embedded data directory, safe beside a server
 * running on the same directory (SQLite in WAL mode with a busy timeout; the filesystem store
 * hides a blob by rename before deleting it, so a commit of the same digest stores its own copy;
 * the collector's lease keeps the server's own periodic sweep from running at the same time).
 */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createPorts, EMBEDDED_DEFAULTS } from '../adapters/create-ports.js';
import { DataPaths } from '../adapters/embedded/paths.js';
import { DURATION_FORMAT, parseDuration } from '../config/duration.js';
import { SETTINGS } from '../config/settings.js';
import { collectGarbage, type CollectionReport } from '../core/gc/collector.js';
import { lifecyclePhase } from '../core/lifecycle/expire.js';
import type { Logger } from '../ports/logger.js';
import { argsError, ConfigError } from './config-error.js';
import { configFileOf, repositorySettingsResolved, resolveSettings } from './serve-config.js';
import { usageLine } from './usage.js';

export const GC_USAGE = `usage: stowage gc [--dry-run] [--json] [--grace DURATION] [--upload-ttl DURATION] --data-dir DIR
  --dry-run                report what would be removed; change nothing
  --json                   print the report as one JSON object
  --grace DURATION         keep blobs uploaded, mounted or referenced by a push within this long
                           (default 1h; 0s only when nothing is pushing)
  --upload-ttl DURATION    remove upload sessions started longer ago than this (default 24h)
  --config FILE            the server's config file (its dataDir and repositories are used:
                           lifecycle policies expire images first)
${usageLine(SETTINGS.dataDir)}

DURATION is ${DURATION_FORMAT}.
`;

const OPTIONS = ['--dry-run', '--json', '--grace', '--upload-ttl', '--config', '--data-dir', '--help'];

function durationFlag(flag: string, text: string | undefined, fallbackSeconds: number): number {
  if (text === undefined) return fallbackSeconds * 1000;
  const ms = parseDuration(text);
  if (ms === null) throw new ConfigError(`--${flag} ${JSON.stringify(text.slice(0, 40))} is not a duration: use ${DURATION_FORMAT}`);
  return ms;
}

export async function gcCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // The sweep's deletes wait on the disk, several at once (FsBlobStore.reclaim); 8 pool threads
  // overlap more of those waits than libuv's 4 (the bench's sweep of 25,000 blobs: 7.1 s instead
  // of 8.8 s). libuv reads this when its pool starts, at the command's first asynchronous file
  // call, which comes later; an operator's own setting wins.
  process.env.UV_THREADPOOL_SIZE ??= '8';
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw argsError(err, 'gc', OPTIONS);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(GC_USAGE);
    return;
  }
  const graceMs = durationFlag('grace', values.grace, SETTINGS.gcGrace.default);
  const uploadTtlMs = durationFlag('upload-ttl', values['upload-ttl'], SETTINGS.gcUploadTtl.default);
  const resolved = resolveSettings([SETTINGS.dataDir, SETTINGS.repositories], values, env, configFileOf(values));
  const dataDir = resolve(String(resolved.get(SETTINGS.dataDir) ?? SETTINGS.dataDir.default));
  const repositories = repositorySettingsResolved(resolved.get(SETTINGS.repositories), env);
  const paths = new DataPaths(dataDir);
  try {
    await access(paths.metadataDb);
  } catch {
    throw new ConfigError(`--data-dir ${dataDir}: no registry data there (no ${paths.metadataDb}); name the directory stowage serve uses`);
  }
  const ports = await createPorts({ ...EMBEDDED_DEFAULTS, dataDir });
  let report: CollectionReport;
  try {
    report = await collectGarbage({
      metadata: ports.metadata,
      blobs: ports.blobs,
      graceMs,
      uploadTtlMs,
      dryRun: values['dry-run'] === true,
      beforeMark: lifecyclePhase(ports, repositories),
      log: stderrLog,
    });
  } finally {
    ports.close();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else if (report.skipped) {
    process.stdout.write(`stowage gc: nothing done: ${report.skipped}\n`);
  } else {
    const verb = report.dryRun ? 'would remove' : 'removed';
    process.stdout.write(
      `stowage gc: ${verb} ${report.blobsDeleted} blob(s), ${formatBytes(report.bytesFreed)} (${report.bytesFreed} bytes), ${report.linksRemoved} repository link(s), ` +
        `${report.uploadsExpired} abandoned upload(s); ${report.repositoriesSwept} repositories and ${report.blobsScanned} blobs checked in ${report.durationMs} ms\n`,
    );
  }
  if (report.skipped) process.exitCode = 1;
}

/** The report is the command's output; the collector's warnings and errors go to stderr. */
const stderrLog: Logger = {
  error: (message, fields) => console.error(`stowage gc: ${message}`, fields ? JSON.stringify(fields) : ''),
  warn: (message, fields) => console.error(`stowage gc: ${message}`, fields ? JSON.stringify(fields) : ''),
  info: () => {},
  debug: () => {},
  child: () => stderrLog,
};

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      grace: { type: 'string' },
      'upload-ttl': { type: 'string' },
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
