/**
 * What a Lambda needs to read the few settings the ping reads (lambdas/ping.ts: the auth mode, the
 * log level, the client-address header, and with Cognito the accepted app clients and the
 * resource server) without the settings table: their environment variables, the values and
 * defaults the table declares from here, and a tiny parse. ./settings.ts declares these settings
 * with these names (no STOWAGE_* name is written twice: test/unit/settings-names.test.ts).
 *
 * No imports, no zod: the ping's bundle carries neither zod nor the settings' descriptions
 * (issue 9: ping <= 50 KB). The other Lambdas read through ./env-reader.ts, with each setting's
 * full check; the log level every Lambda reads here.
 */

export const AUTH_ENV = 'STOWAGE_AUTH';
export const LOG_LEVEL_ENV = 'STOWAGE_LOG_LEVEL';
export const CLIENT_ADDRESS_HEADER_ENV = 'STOWAGE_CLIENT_ADDRESS_HEADER';
export const COGNITO_CLIENT_IDS_ENV = 'STOWAGE_COGNITO_CLIENT_IDS';
export const COGNITO_USER_CLIENT_ID_ENV = 'STOWAGE_COGNITO_USER_CLIENT_ID';
export const COGNITO_RESOURCE_SERVER_ENV = 'STOWAGE_COGNITO_RESOURCE_SERVER';

export const AUTH_MODES = ['none', 'local', 'cognito'] as const;
export const DEFAULT_AUTH: (typeof AUTH_MODES)[number] = 'none';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export const DEFAULT_RESOURCE_SERVER = 'stowage';

type Env = Readonly<Record<string, string | undefined>>;

/** A variable's text as set, unchecked; undefined when unset or empty (as ./settings.ts readEnv). */
export function envText(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

/** A list setting's items (comma-separated, trimmed, empty items dropped), as ./settings.ts fromText. */
export function envList(env: Env, name: string): string[] {
  return (envText(env, name) ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** A choice setting's value when it is one of `values`; undefined when unset, a problem line otherwise. */
export function envChoice<V extends string>(env: Env, name: string, values: readonly V[]): { value?: V; problem?: string } {
  const raw = envText(env, name);
  if (raw === undefined) return {};
  if ((values as readonly string[]).includes(raw)) return { value: raw as V };
  return { problem: `${name} must be one of ${values.join(', ')}, not "${raw.slice(0, 60)}"` };
}
