/**
 * `stowage lifecycle preview`, `stowage repo delete` and `stowage usage`: the admin routes'
 * core functions (src/core/repository-admin.ts) run on a data directory, safe beside the server
 * that uses it (SQLite in WAL mode takes a second process; each step is one transaction). The
 * data directory and the per-repository settings come from the same flags, environment and
 * --config file as `stowage serve`'s. Output: a table for people, one JSON object with --json.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createPorts, EMBEDDED_DEFAULTS, type ClosablePorts } from '../adapters/create-ports.js';
import { DataPaths } from '../adapters/embedded/paths.js';
import { SETTINGS } from '../config/settings.js';
import { DEFAULT_LIMITS, RegistryContext } from '../core/context.js';
import { validateName } from '../core/names.js';
import { deleteRepository, previewLifecycle, previewResult, repositoryUsage, usageReport, type RepositoryUsage } from '../core/repository-admin.js';
import type { RegistryError } from '../core/errors.js';
import { argsError, ConfigError } from './config-error.js';
import { configFileOf, flagOptions, repositorySettingsResolved, resolveSettings } from './serve-config.js';
import { usageLine } from './usage.js';

const COMMON = `  --json                   one JSON object on standard output
  --config FILE            the server's config file (its dataDir and repositories are used)
${usageLine(SETTINGS.dataDir)}`;

export const LIFECYCLE_USAGE = `usage: stowage lifecycle preview REPOSITORY [--json] [--data-dir DIR] [--config FILE]

Lists the images the repository's lifecycle policy (the repositories setting) would expire now,
as Amazon ECR's lifecycle policy preview does. Nothing is deleted: the collector expires them.
${COMMON}
`;

export const REPO_USAGE = `usage: stowage repo delete NAME --force [--json] [--data-dir DIR] [--config FILE]

Deletes a whole repository: its manifests (each with a DELETE event), tags, referrers, blob links
and catalog entry. Blob content no other repository links is freed by the collector (stowage gc).
  --force                  required: the delete cannot be undone
${COMMON}
`;

export const USAGE_USAGE = `usage: stowage usage [--json] [--data-dir DIR] [--config FILE]

Bytes stored per repository (each blob and manifest once per repository) and in total (each
digest once across all repositories).
${COMMON}
`;

interface Parsed {
  values: Record<string, unknown>;
  positionals: string[];
}

function parse(argv: string[], command: string): Parsed {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: true, options: { ...flagOptions([SETTINGS.dataDir]), json: { type: 'boolean' }, force: { type: 'boolean' } } });
  } catch (err) {
    throw argsError(err, command, ['--json', '--force (repo delete)', `--${SETTINGS.dataDir.flag}`, '--config FILE', '--help']);
  }
}

/** The registry context of a data directory: its ports and the per-repository settings. */
async function open(values: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<{ ctx: RegistryContext; ports: ClosablePorts }> {
  const file = configFileOf(values);
  const resolved = resolveSettings([SETTINGS.dataDir, SETTINGS.repositories], values, env, file);
  const dataDir = resolve((resolved.get(SETTINGS.dataDir) as string | undefined) ?? SETTINGS.dataDir.default);
  const repositories = repositorySettingsResolved(resolved.get(SETTINGS.repositories), env);
  if (!existsSync(new DataPaths(dataDir).metadataDb)) {
    throw new ConfigError(`${dataDir} holds no registry (no ${new DataPaths(dataDir).metadataDb}): give the server's --${SETTINGS.dataDir.flag}`);
  }
  const ports = await createPorts({ ...EMBEDDED_DEFAULTS, dataDir });
  return { ctx: new RegistryContext(ports, { ...DEFAULT_LIMITS, repositories }), ports };
}

/** A repository argument, checked by the registry's own grammar; refusals are one CLI line. */
function repositoryArg(name: string | undefined, usage: string): string {
  if (name === undefined) throw new ConfigError(`a repository name is required\n${usage}`);
  try {
    return validateName(name);
  } catch (err) {
    throw new ConfigError((err as RegistryError).message);
  }
}

async function mustExist(ctx: RegistryContext, name: string): Promise<void> {
  if (!(await ctx.metadata.repositoryExists(name))) throw new ConfigError(`repository ${name} does not exist in this registry`);
}

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export async function lifecycleCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { values, positionals } = parse(argv, 'lifecycle');
  const [sub, name, ...extra] = positionals;
  if (values.help || sub === undefined) return out(LIFECYCLE_USAGE);
  if (sub !== 'preview' || extra.length) throw new ConfigError(`unknown lifecycle command "${[sub, ...extra].join(' ').slice(0, 60)}": use stowage lifecycle preview REPOSITORY`);
  const repository = repositoryArg(name, LIFECYCLE_USAGE);
  const { ctx, ports } = await open(values, env);
  try {
    await mustExist(ctx, repository);
    const { policy, expiries } = await previewLifecycle(ctx, repository, new Date());
    const results = expiries.map(previewResult);
    if (values.json) return out(JSON.stringify({ repository, previewResults: results, summary: { expiringImageTotalCount: results.length } }));
    if (!policy) return out(`${repository}: no lifecycle policy applies (no entry of the repositories setting with a lifecyclePolicy matches it)`);
    out(`${repository}: ${results.length} image(s) would expire`);
    for (const r of results) out(`  ${r.imageDigest}  pushed ${r.imagePushedAt}  rule ${r.appliedRulePriority}  tags ${r.imageTags.length ? r.imageTags.join(',') : '(untagged)'}`);
  } finally {
    ports.close();
  }
}

export async function repoCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { values, positionals } = parse(argv, 'repo');
  const [sub, name, ...extra] = positionals;
  if (values.help || sub === undefined) return out(REPO_USAGE);
  if (sub !== 'delete' || extra.length) throw new ConfigError(`unknown repo command "${[sub, ...extra].join(' ').slice(0, 60)}": use stowage repo delete NAME --force`);
  const repository = repositoryArg(name, REPO_USAGE);
  if (!values.force) throw new ConfigError(`stowage repo delete ${repository}: add --force to delete the whole repository (it cannot be undone)`);
  const { ctx, ports } = await open(values, env);
  try {
    await mustExist(ctx, repository);
    const summary = await deleteRepository(ctx, repository, 'stowage-cli');
    if (values.json) return out(JSON.stringify(summary));
    out(
      `deleted ${repository}: ${summary.manifestsDeleted} manifest(s), ${summary.tagsDeleted} tag(s), ${summary.blobLinksRemoved} blob link(s); run stowage gc to free blob content`,
    );
  } finally {
    ports.close();
  }
}

export async function usageCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { values, positionals } = parse(argv, 'usage');
  if (values.help) return out(USAGE_USAGE);
  if (positionals.length) throw new ConfigError(`unexpected arguments: ${positionals.join(' ').slice(0, 60)}\n${USAGE_USAGE}`);
  const { ctx, ports } = await open(values, env);
  try {
    const usages: RepositoryUsage[] = [];
    for (let last: string | undefined; ; ) {
      const page = await ctx.metadata.listRepositories({ limit: 500, ...(last !== undefined && { last }) });
      for (const name of page.items) usages.push(await repositoryUsage(ctx, name));
      const end = page.items.at(-1);
      if (!page.more || end === undefined) break;
      last = end;
    }
    const report = usageReport(usages);
    if (values.json) return out(JSON.stringify(report));
    const width = Math.max(10, ...report.repositories.map((r) => r.name.length));
    out(`${'REPOSITORY'.padEnd(width)}  ${'BYTES'.padStart(14)}  MANIFESTS  TAGS`);
    for (const r of report.repositories) out(`${r.name.padEnd(width)}  ${String(r.bytes).padStart(14)}  ${String(r.manifests).padStart(9)}  ${String(r.tags).padStart(4)}`);
    out(`${'total (each digest once)'.padEnd(width)}  ${String(report.totalBytes).padStart(14)}`);
  } finally {
    ports.close();
  }
}
