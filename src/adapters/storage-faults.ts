/**
 * Storage faults as domain errors, at the adapter boundary (issue 12, item 3): a full disk or
 * quota (ENOSPC, EDQUOT, SQLite's SQLITE_FULL) becomes STORAGE_FULL (507), storage that cannot be
 * written at all (EROFS, EIO, SQLite read-only, I/O error or a damaged file) STORAGE_UNAVAILABLE
 * (503); both with Retry-After. Without this a push on a full disk got 500 UNKNOWN, which clients
 * retry at once and operators cannot tell from a bug.
 *
 * One wrapper around a whole port (STYLE habit 3) rather than a catch in every method: each
 * method's thrown error or rejected promise is mapped; everything else passes untouched. The
 * adapters' own cleanup (an upload truncated back to its offset, a SQLite transaction rolled
 * back) has run by then, so nothing half-written is visible.
 */
import { RegistryError } from '../core/errors.js';
import { log } from '../log/logger.js';

const FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
const UNWRITABLE = [/^EROFS$/, /^EIO$/, /^SQLITE_READONLY/, /^SQLITE_IOERR/, /^SQLITE_CORRUPT/, /^SQLITE_NOTADB$/, /^SQLITE_CANTOPEN/];

/** The domain error for a storage fault; undefined for any other error (a bug stays a 500). */
export function storageFault(err: unknown): RegistryError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (FULL.has(code)) return new RegistryError('STORAGE_FULL', undefined, { retryAfterSeconds: 60 });
  if (UNWRITABLE.some((re) => re.test(code))) return new RegistryError('STORAGE_UNAVAILABLE', undefined, { retryAfterSeconds: 30 });
  return undefined;
}

/** One log line per kind of fault per this long: every request fails alike, and the operator needs the first. */
const LOG_EVERY_MS = 10_000;
const lastLogged = new Map<string, number>();

function mapped(port: string, method: string, err: unknown): unknown {
  const fault = storageFault(err);
  if (!fault) return err;
  const now = Date.now();
  if (now - (lastLogged.get(fault.kind) ?? 0) >= LOG_EVERY_MS) {
    lastLogged.set(fault.kind, now);
    log.error(
      `${port}.${method}: ${fault.kind === 'STORAGE_FULL' ? 'storage is full' : 'storage cannot be written'}; requests that write are refused (${fault.status}) until it is fixed`,
      {
        error: err,
      },
    );
  }
  return fault;
}

/** `port` with every method's storage faults mapped to domain errors; `name` for the log line. */
export function withStorageFaults<T extends object>(port: T, name: string): T {
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(port, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(prop);
      if (!wrapper) {
        const method = String(prop);
        wrapper = (...args: unknown[]) => {
          let result: unknown;
          try {
            // Called on the adapter itself, so its own calls to its methods are not wrapped again.
            result = (value as (...a: unknown[]) => unknown).apply(target, args);
          } catch (err) {
            throw mapped(name, method, err);
          }
          return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(mapped(name, method, err))) : result;
        };
        wrappers.set(prop, wrapper);
      }
      return wrapper;
    },
  });
}
