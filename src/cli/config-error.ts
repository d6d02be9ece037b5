/** A configuration the CLI refuses: one line for the operator, exit status 2 (a usage error). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly exitCode = 2;
}
