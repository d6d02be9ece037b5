/** A configuration the CLI refuses: one line for the operator, exit status 2 (a usage error). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly exitCode = 2;
}

/**
 * A node:util parseArgs refusal as one ConfigError line naming the flag and what the command
 * takes (parseArgs' own message runs on about passing it as a positional argument).
 */
export function argsError(err: unknown, command: string, allowed: readonly string[]): ConfigError {
  const e = err as Error & { code?: string };
  const flag = /'(-[^']*)'/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
    return new ConfigError(`unknown option "${flag.slice(0, 60)}" for stowage ${command}: use ${allowed.join(', ')} (stowage ${command} --help)`);
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return new ConfigError(`stowage ${command} takes no arguments besides its options: ${e.message.split('.')[0]}`);
  }
  return new ConfigError(`stowage ${command}: ${e.message.split('\n')[0]}`);
}
