/**
 * Logger: where operational messages go (failures a request survives, warnings, the request and
 * audit records). One record per call; `fields` are structured data (ids, statuses, durations),
 * never a secret. The core and the adapters depend on this interface only; the process that
 * starts them picks the implementation (src/log/logger.ts: one JSON line per record on stdout).
 *
 * A logger must not throw: a log call never fails the request it describes.
 */
export type LogFields = Record<string, unknown>;

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` (e.g. the request id) to every record it writes. */
  child(fields: LogFields): Logger;
}
