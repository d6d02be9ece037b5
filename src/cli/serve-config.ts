/**
 * `stowage serve` configuration: every setting of src/config/settings.ts from its flag, its
 * environment variable or a `--config FILE`, in that order of precedence, else its default;
 * each value checked by the setting's schema, then the combinations checked. Adapter choice
 * lives here and nowhere in the core.
 *
 * A refusal is one ConfigError line naming the setting, where its value came from (flag,
 * environment, or file and key) and what is allowed.
 */
import { dirname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ALL_SETTINGS, checkSetting, fromText, LISTEN_ADDRESS, SETTINGS, settingName, toText, type Setting, type SettingKey, type SettingValue } from '../config/settings.js';
import { argsError, ConfigError } from './config-error.js';
import { readConfigFile } from './config-file.js';
import { RepositorySettings } from '../core/repository-settings.js';

type V<K extends SettingKey> = SettingValue<K>;

export interface ServeConfig {
  host: string;
  port: number;
  dataDir: string;
  storage: V<'storage'>;
  s3Bucket?: string;
  s3Prefix: string;
  s3ForcePathStyle: boolean;
  s3ServeBlobs: V<'s3ServeBlobs'>;
  s3BlobRedirects: V<'s3BlobRedirects'>;
  s3PresignExpires: number;
  metadata: V<'metadata'>;
  dynamodbTable?: string;
  events: V<'events'>;
  webhooks: string[];
  eventBus?: string;
  eventDetailType?: string;
  webhookSecret?: string;
  webhookMaxAttempts: number;
  /** Seconds. */
  webhookRetryBase: number;
  createResources: boolean;
  auth: V<'auth'>;
  policyFile?: string;
  htpasswdFile?: string;
  tokenTtl: number;
  service?: string;
  realm?: string;
  insecureNoAuth: boolean;
  clientAddressHeader?: string;
  logLevel: V<'logLevel'>;
  /** --metrics-addr, parsed. */
  metricsAddr?: { host: string; port: number };
  shutdownTimeout: number;
  /** Seconds between in-process collections (0: none), the grace and the upload TTL, in seconds. */
  gcInterval: number;
  gcGrace: number;
  gcUploadTtl: number;
  tlsCert?: string;
  tlsKey?: string;
  /** Limits against slow or greedy clients (src/shells/http/client-limits.ts). */
  headersTimeout: number;
  bodyIdleTimeout: number;
  connectionsPerAddress: number;
  uploadsPerAddress: number;
  /** --ui / --no-ui: the web console at /ui/. */
  ui: boolean;
  /** Per-repository settings (the repositories setting), validated. */
  repositories: RepositorySettings;
  /**
   * The environment the settings without a flag (the cognito section, the policy document) are
   * read from: the config file's values, overridden by the process environment.
   */
  environment: Readonly<Record<string, string | undefined>>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

type Source = { from: 'flag' } | { from: 'env' } | { from: 'file'; file: string } | { from: 'default' };

/** The parseArgs options of a command taking these settings' flags, plus --config and --help. */
export function flagOptions(settings: readonly Setting[]): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
  for (const s of settings) {
    if (s.flag) options[s.flag] = s.repeatable ? { type: 'string', multiple: true } : { type: s.kind === 'boolean' ? 'boolean' : 'string' };
  }
  return options;
}

function describe(s: Setting, source: Source): string {
  switch (source.from) {
    case 'flag':
      return `flag --${s.flag} (setting ${s.key})`;
    case 'env':
      return `environment ${s.env} (setting ${s.key})`;
    case 'file':
      return `config file ${source.file}, key ${s.key}`;
    default:
      return `default of ${s.key}`;
  }
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Resolves settings from flags (parseArgs values), environment and file, in that order, each
 * checked; a setting given nowhere is absent from the result (its default is the caller's).
 * Settings without a flag are taken from the file only: their readers take the environment.
 */
export function resolveSettings(
  settings: readonly Setting[],
  flags: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  file: { path: string; values: Map<Setting, unknown> } | undefined,
): Map<Setting, unknown> {
  const resolved = new Map<Setting, unknown>();
  for (const s of settings) {
    let raw: unknown;
    let source: Source;
    const flagValue = s.flag ? flags[s.flag] : undefined;
    const envValue = s.flag ? env[s.env] : undefined;
    if (flagValue !== undefined) {
      raw = typeof flagValue === 'string' ? fromText(s, flagValue) : flagValue;
      source = { from: 'flag' };
    } else if (envValue !== undefined && envValue !== '') {
      raw = fromText(s, envValue);
      source = { from: 'env' };
    } else if (file?.values.has(s)) {
      const value = file.values.get(s);
      raw = typeof value === 'string' ? fromText(s, value) : value;
      source = { from: 'file', file: file.path };
    } else {
      continue;
    }
    const checked = checkSetting(s, raw);
    if (!checked.ok) throw new ConfigError(`${describe(s, source)}: ${shown(raw)} is not allowed; expected ${checked.allowed}`);
    // Relative paths in a file are relative to the file, as in every config format people know.
    const value = s.kind === 'path' ? resolve(source.from === 'file' ? dirname(source.file) : '.', checked.value as string) : checked.value;
    resolved.set(s, value);
  }
  return resolved;
}

/** The config file named by --config, read and its keys checked; undefined without one. */
export function configFileOf(flags: Record<string, unknown>): { path: string; values: Map<Setting, unknown> } | undefined {
  const path = flags.config;
  return typeof path === 'string' ? { path, values: readConfigFile(path) } : undefined;
}

/** Parses flags, environment and --config file into a validated config; throws one ConfigError. */
export function parseServeConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeConfig | 'help' {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowNegative: true, options: flagOptions(ALL_SETTINGS) }));
  } catch (err) {
    throw argsError(err, 'serve', ['the flags of the settings', '--config FILE', '--help']);
  }
  if (values.help) return 'help';
  const file = configFileOf(values);
  const resolved = resolveSettings(ALL_SETTINGS, values, env, file);
  const get = <K extends SettingKey>(key: K): V<K> | undefined => {
    const s = SETTINGS[key] as Setting;
    return (resolved.has(s) ? resolved.get(s) : s.default) as V<K> | undefined;
  };
  /** A setting that has a default, so always a value. */
  const must = <K extends SettingKey>(key: K): V<K> => {
    const value = get(key);
    if (value === undefined) throw new Error(`setting ${key} has no default`);
    return value;
  };
  const webhooks = [...(get('webhooks') ?? [])];
  const fileEnvironment: Record<string, string> = {};
  for (const s of ALL_SETTINGS) if (!s.flag && resolved.has(s)) fileEnvironment[s.env] = environmentText(resolved.get(s));
  const opt = <K extends SettingKey>(key: K) => {
    const v = get(key);
    return v === undefined ? {} : { [key]: v };
  };
  const c: ServeConfig = {
    host: must('host'),
    port: must('port'),
    dataDir: resolve(must('dataDir')),
    storage: must('storage'),
    s3Prefix: must('s3Prefix'),
    s3ForcePathStyle: must('s3ForcePathStyle'),
    s3ServeBlobs: must('s3ServeBlobs'),
    s3BlobRedirects: must('s3BlobRedirects'),
    s3PresignExpires: must('s3PresignExpires'),
    metadata: must('metadata'),
    events: get('events') ?? (webhooks.length ? ['log', 'webhook'] : ['log']),
    webhooks,
    createResources: must('createResources'),
    auth: must('auth'),
    tokenTtl: must('tokenTtl'),
    insecureNoAuth: must('insecureNoAuth'),
    ...opt('s3Bucket'),
    ...opt('dynamodbTable'),
    ...opt('eventBus'),
    ...opt('eventDetailType'),
    ...opt('webhookSecret'),
    webhookMaxAttempts: must('webhookMaxAttempts'),
    webhookRetryBase: must('webhookRetryBase'),
    ...opt('policyFile'),
    ...opt('service'),
    ...opt('realm'),
    ...opt('clientAddressHeader'),
    logLevel: must('logLevel'),
    ...metricsAddrOf(get('metricsAddr')),
    ...opt('htpasswdFile'),
    shutdownTimeout: must('shutdownTimeout'),
    gcInterval: must('gcInterval'),
    gcGrace: must('gcGrace'),
    gcUploadTtl: must('gcUploadTtl'),
    ...opt('tlsCert'),
    ...opt('tlsKey'),
    headersTimeout: must('headersTimeout'),
    bodyIdleTimeout: must('bodyIdleTimeout'),
    connectionsPerAddress: must('connectionsPerAddress'),
    uploadsPerAddress: must('uploadsPerAddress'),
    ui: must('ui'),
    // An empty variable counts as unset here as everywhere, so it does not hide the file's value.
    environment: { ...fileEnvironment, ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) },
    repositories: RepositorySettings.NONE,
  };
  c.repositories = repositorySettingsOf(c.environment);
  checkCombinations(c);
  return c;
}

/** A file's value as its variable's text: documents (the repositories list) as JSON. */
function environmentText(value: unknown): string {
  const scalarOrStrings = typeof value !== 'object' || value === null || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
  return scalarOrStrings ? toText(value as string) : JSON.stringify(value);
}

/**
 * The per-repository settings, from the config file's list or the variable's JSON; a refusal is
 * one line naming the field to fix (`repositories[0].lifecyclePolicy.rules[1].selection...`).
 */
export function repositorySettingsOf(environment: Readonly<Record<string, string | undefined>>): RepositorySettings {
  const text = environment[SETTINGS.repositories.env];
  if (text === undefined || text === '') return RepositorySettings.NONE;
  try {
    return RepositorySettings.fromJson(text, `setting repositories (${SETTINGS.repositories.env} or the config file's repositories key)`);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/**
 * The repositories setting of a command that resolved it (`resolveSettings`): the environment
 * variable wins, else the config file's `repositories` key (a YAML list or JSON text).
 */
export function repositorySettingsResolved(fromFile: unknown, env: NodeJS.ProcessEnv): RepositorySettings {
  return repositorySettingsOf({
    [SETTINGS.repositories.env]: env[SETTINGS.repositories.env] || (fromFile === undefined ? undefined : typeof fromFile === 'string' ? fromFile : JSON.stringify(fromFile)),
  });
}

/** --metrics-addr HOST:PORT as a listen address (the setting's schema has checked the shape). */
function metricsAddrOf(text: string | undefined): { metricsAddr?: { host: string; port: number } } {
  const m = text === undefined ? null : LISTEN_ADDRESS.exec(text);
  if (!m) return {};
  const port = Number(m[2]);
  if (port > 65535) throw new ConfigError(`${settingName(SETTINGS.metricsAddr)}: port ${port} is not allowed; expected a port from 0 to 65535`);
  return { metricsAddr: { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port } };
}

/** The rules that involve more than one setting. */
function checkCombinations(c: ServeConfig): void {
  const S = SETTINGS;
  const flag = (s: Setting) => `--${s.flag}`;
  const problems: string[] = [];
  const need = (ok: boolean, message: string) => ok || problems.push(message);
  need(c.storage !== 's3' || !!c.s3Bucket, `${flag(S.storage)} s3 needs ${settingName(S.s3Bucket)}`);
  need(c.metadata !== 'dynamodb' || !!c.dynamodbTable, `${flag(S.metadata)} dynamodb needs ${settingName(S.dynamodbTable)}`);
  need(c.metadata !== 'dynamodb' || !!c.s3Bucket, `${flag(S.metadata)} dynamodb keeps manifests too large for an item in S3: set ${settingName(S.s3Bucket)}`);
  need(!c.events.includes('eventbridge') || !!c.eventBus, `${flag(S.events)} eventbridge needs ${settingName(S.eventBus)}`);
  need(!c.events.includes('webhook') || c.webhooks.length > 0, `${flag(S.events)} webhook needs at least one ${flag(S.webhooks)} URL (${S.webhooks.env})`);
  need(c.auth !== 'none' || c.policyFile === undefined, `${flag(S.policyFile)} takes effect only with ${flag(S.auth)} local or cognito`);
  need(c.auth !== 'none' || (c.realm === undefined && c.service === undefined), `${flag(S.realm)} and ${flag(S.service)} take effect only with ${flag(S.auth)} local or cognito`);
  need(c.auth === 'local' || c.htpasswdFile === undefined, `${flag(S.htpasswdFile)} takes effect only with ${flag(S.auth)} local`);
  need(c.auth === 'none' || !c.insecureNoAuth, `${flag(S.insecureNoAuth)} contradicts ${flag(S.auth)} ${c.auth}`);
  need(
    c.auth === 'none' || isLoopback(c.host) || !isWildcard(c.host) || c.realm !== undefined,
    `${flag(S.auth)} ${c.auth} on ${c.host} needs ${flag(S.realm)} https://<public host>/token: clients fetch tokens from the realm, and ${c.host} is no address they can reach`,
  );
  need(
    c.auth !== 'none' || isLoopback(c.host) || c.insecureNoAuth,
    `listening on ${c.host} needs ${flag(S.auth)} local or cognito (anyone who can reach the port could push, overwrite and delete images); ${flag(S.insecureNoAuth)} runs without it, for a registry behind an authenticating proxy`,
  );
  need((c.tlsCert === undefined) === (c.tlsKey === undefined), `${flag(S.tlsCert)} and ${flag(S.tlsKey)} go together: give both files (HTTPS) or neither (HTTP)`);
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
}
