/**
 * The few settings a Lambda reads without the settings table (the ping's client-address header,
 * every Lambda's log level, the auth mode named in a container's error): their environment
 * variables, their values, and a tiny parse. ./settings.ts declares these settings with these
 * names (no STOWAGE_* name is written twice: test/unit/settings-names.test.ts).
 *
 * No imports, no zod: the ping's bundle carries neither zod nor the settings' descriptions
 * (issue 9: ping <= 50 KB). The other Lambdas read through ./env-reader.ts, with each setting's
 * full check.
 */

export const AUTH_ENV = 'STOWAGE_AUTH';
export const LOG_LEVEL_ENV = 'STOWAGE_LOG_LEVEL';
export const CLIENT_ADDRESS_HEADER_ENV = 'STOWAGE_CLIENT_ADDRESS_HEADER';

export const AUTH_MODES = ['none', 'local', 'cognito'] as const;

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

type Env = Readonly<Record<string, string | undefined>>;

/** A variable's text as set, unchecked; undefined when unset or empty (as ./settings.ts readEnv). */
export function envText(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

/** A choice setting's value when it is one of `values`; undefined when unset, a problem line otherwise. */
export function envChoice<V extends string>(env: Env, name: string, values: readonly V[]): { value?: V; problem?: string } {
  const raw = envText(env, name);
  if (raw === undefined) return {};
  if ((values as readonly string[]).includes(raw)) return { value: raw as V };
  return { problem: `${name} must be one of ${values.join(', ')}, not "${raw.slice(0, 60)}"` };
}
