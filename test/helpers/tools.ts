// Checks for external programs that e2e tests and benchmarks need.
//
// Usage:  describe('docker push/pull', { skip: requireTools('dockerd', 'docker', 'skopeo') }, () => { ... })
//
// In CI (process.env.CI set) a missing tool is an error: requireTools throws, so the test file fails
// loudly instead of reporting a skip. Outside CI it returns a skip reason naming what is missing,
// which node:test prints next to the skipped test. When everything is there it returns false.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Absolute path of an executable found on PATH (or the argument itself if it is a path), or undefined. */
export function findExecutable(name: string): string | undefined {
  const candidates =
    isAbsolute(name) || name.includes('/')
      ? [name]
      : (process.env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export function missingTools(...names: string[]): string[] {
  return names.filter((n) => findExecutable(n) === undefined);
}

export function inCI(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function skipOrThrow(problem: string): string | false {
  if (inCI()) {
    throw new Error(`${problem}. CI is set, so this is a failure, not a skip: install it (scripts/test.sh installs the Debian packages when run as root).`);
  }
  return `${problem} (skipped outside CI; in CI this fails)`;
}

/**
 * Returns false when every named program is on PATH; otherwise a skip reason (outside CI) or throws (in CI).
 * Pass the result as the `skip` option of test()/describe().
 */
export function requireTools(...names: string[]): string | false {
  const missing = missingTools(...names);
  if (missing.length === 0) return false;
  return skipOrThrow(`missing tool${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
}

/**
 * Like requireTools, for tests that need root (dockerd, containerd and rootful podman do). Combine:
 *   { skip: requireTools('dockerd') || requireRoot('dockerd') }
 */
export function requireRoot(what: string): string | false {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return false;
  return skipOrThrow(`${what} needs root and this process is not root`);
}
