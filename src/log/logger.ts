/**
 * The one Logger implementation every process uses (CLI server, upload service, Lambdas): one
 * JSON line per record on stdout, built on the Powertools for AWS Lambda logger so the field
 * names are the ones CloudWatch users know:
 *
 *   {"level":"WARN","message":"…","timestamp":"2026-…Z","service":"stowage","requestId":"…",…fields}
 *
 * Lines go to process.stdout, not through console.log: in Lambda (JSON log format) a line written
 * to stdout is ingested as that JSON object, so metric filters such as `{ $.audit = "stowage" }`
 * see its fields; console.log would wrap it in the runtime's own record as a string.
 *
 * Level: `setLogLevel` (the CLI's --log-level), else POWERTOOLS_LOG_LEVEL / AWS_LAMBDA_LOG_LEVEL
 * as Powertools reads them, else info.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { LogLevelThreshold, Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogFields, Logger, LogLevel } from '../ports/logger.js';

export type LineWriter = (line: string) => void;

/**
 * Fields of the request being served (its id), added to every record written while it runs,
 * whichever logger writes it: an adapter's warning carries the id of the request it happened in
 * without the id being passed down to it. Set by the shells' observer (src/shells/observe.ts).
 */
const requestScope = new AsyncLocalStorage<LogFields>();

/** Runs `fn` with `fields` added to every log record written until it settles (its async work included). */
export function withLogFields<T>(fields: LogFields, fn: () => T): T {
  return requestScope.run(fields, fn);
}

const toStdout: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Powertools' record building (fields, timestamps, error serialization) with our own output. */
class LinePowertoolsLogger extends PowertoolsLogger {
  write: LineWriter = toStdout;

  protected override printLog(_level: number, log: Parameters<PowertoolsLogger['printLog']>[1]): void {
    log.prepareForPrint();
    this.write(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}

const THRESHOLDS: Record<LogLevel, number> = { debug: LogLevelThreshold.DEBUG, info: LogLevelThreshold.INFO, warn: LogLevelThreshold.WARN, error: LogLevelThreshold.ERROR };

class JsonLogger implements Logger {
  constructor(
    private readonly sink: LinePowertoolsLogger,
    private readonly fields: LogFields,
  ) {}

  error(message: string, fields?: LogFields): void {
    this.emit('error', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.emit('warn', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.emit('info', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.emit('debug', message, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger(this.sink, { ...this.fields, ...fields });
  }

  private emit(level: LogLevel, message: string, fields: LogFields | undefined): void {
    // Below the level, nothing is built: Powertools would read the X-Ray trace id from the
    // environment and copy the fields before dropping the record (the access line of every
    // request at the server's default warn level).
    if (THRESHOLDS[level] < this.sink.level) return;
    try {
      this.sink[level](message, { ...requestScope.getStore(), ...this.fields, ...fields });
    } catch {
      // a log call must not fail the request it describes (see ports/logger.ts)
    }
  }
}

export interface LoggerOptions {
  /** @default 'stowage' */
  service?: string;
  /** @default the environment's level (see the header), else info */
  level?: LogLevel;
  /** Where each JSON line goes. @default process.stdout */
  write?: LineWriter;
}

/** A logger of its own (tests give one a `write` to read its lines). */
export function createLogger(options: LoggerOptions = {}): Logger & ProcessLoggerControls {
  const sink = new LinePowertoolsLogger({
    serviceName: options.service ?? 'stowage',
    // The operations issue's order: time, level, request id (when there is a request), message, fields.
    logRecordOrder: ['timestamp', 'level', 'requestId', 'message'],
    ...(options.level && { logLevel: options.level }),
  });
  if (options.write) sink.write = options.write;
  const logger = new JsonLogger(sink, {});
  return Object.assign(logger, {
    // Powertools' setLogLevel takes the upper-case names only (its constructor takes both).
    setLevel: (level: LogLevel) => sink.setLogLevel(level.toUpperCase() as Uppercase<LogLevel>),
    setWriter: (write: LineWriter | undefined) => {
      sink.write = write ?? options.write ?? toStdout;
    },
  });
}

interface ProcessLoggerControls {
  setLevel(level: LogLevel): void;
  setWriter(write: LineWriter | undefined): void;
}

const root = createLogger();

/** The process's logger: what every default `log` option in src/ writes to. */
export const log: Logger = root;

/** Sets the process logger's level (`stowage serve --log-level`). */
export function setLogLevel(level: LogLevel): void {
  root.setLevel(level);
}

/** Redirects the process logger's lines (tests read them); undefined restores stdout. */
export function setLogWriter(write: LineWriter | undefined): void {
  root.setWriter(write);
}

/**
 * Transitional adapter for call sites whose `log` option still takes one serialized JSON object
 * per line (their tests inject such a function): the object's keys become the record's fields,
 * so the line keeps every field it had, now with level, time and service. The object's own
 * `message` wins over `message` here; its `level` is dropped (the record's level says it).
 */
export function jsonRecordsTo(logger: Logger, level: LogLevel, message: string): (line: string) => void {
  return (line) => {
    let fields: LogFields;
    try {
      fields = JSON.parse(line) as LogFields;
    } catch {
      fields = { line };
    }
    const { level: _level, message: own, ...rest } = fields;
    logger[level](typeof own === 'string' ? own : message, rest);
  };
}
