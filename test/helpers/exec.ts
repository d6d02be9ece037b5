// Running external programs (skopeo, umoci, docker, ctr, podman, ...) and long-lived daemons from tests.
//
// Everything here uses child_process.spawn directly (no shell), always with a timeout, and puts each
// child in its own process group so that a timeout or a stop() can take down the whole tree.
import { spawn, type ChildProcess } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';

export interface RunOptions {
  /** Kill the command (whole process group) after this many ms. Default 120 s. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the child's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string | Buffer;
  /** Cap on captured stdout/stderr, each (bytes). Default 64 MiB. */
  maxBuffer?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Thrown by run() when a command cannot start, exits non-zero, dies by signal or times out. */
export class RunError extends Error {
  constructor(
    message: string,
    readonly cmd: string,
    readonly args: readonly string[],
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'RunError';
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

/** Quotes a command line for messages (not for a shell). */
export function formatCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

function tail(text: string, max = 4000): string {
  const t = text.trimEnd();
  return t.length <= max ? t : `[... ${t.length - max} chars cut ...]\n${t.slice(-max)}`;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Runs `cmd args...` and resolves with its output when it exits 0. Rejects with a RunError whose
 * message names the command, the exit status (or timeout) and the tail of stderr and stdout.
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBuffer = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
  const printable = formatCommand(cmd, args);
  return new Promise<RunResult>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        detached: true, // own process group, so a timeout kills grandchildren too
      });
    } catch (err) {
      reject(new RunError(`${printable}: cannot start: ${(err as Error).message}`, cmd, args, null, null, '', '', false));
      return;
    }
    const out: Buffer[] = [];
    const errs: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    let settled = false;
    child.stdout!.on('data', (b: Buffer) => {
      if (outLen < maxBuffer) out.push(b);
      outLen += b.length;
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (errLen < maxBuffer) errs.push(b);
      errLen += b.length;
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {
        /* child exited before reading all input; reported through the exit status */
      });
      child.stdin!.end(opts.input);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const hint = (err as NodeJS.ErrnoException).code === 'ENOENT' ? ` (is ${cmd} installed and on PATH?)` : '';
      reject(new RunError(`${printable}: cannot start: ${err.message}${hint}`, cmd, args, null, null, '', '', false));
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(errs).toString('utf8');
      if (code === 0 && !timedOut) {
        resolve({ stdout, stderr });
        return;
      }
      const why = timedOut ? `timed out after ${timeoutMs} ms` : signal ? `killed by ${signal}` : `exited with code ${code}`;
      let msg = `${printable}: ${why}`;
      msg += stderr.trim() ? `\n--- stderr ---\n${tail(stderr)}` : '\n--- stderr: (empty) ---';
      if (stdout.trim()) msg += `\n--- stdout ---\n${tail(stdout, 2000)}`;
      reject(new RunError(msg, cmd, args, code, signal, stdout, stderr, timedOut));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Daemons

export interface Daemon {
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** SIGTERM to the process group, wait up to graceMs, then SIGKILL and wait. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a long-running program in its own process group with stdout and stderr appended to logFile.
 * The caller must stop() it (normally in an `after` hook).
 */
export async function startDaemon(cmd: string, args: readonly string[], opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<Daemon> {
  const log = await open(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', log.fd, log.fd],
      detached: true,
    });
  } catch (err) {
    await log.close();
    throw err;
  }
  // Listeners go on before any await: a failed spawn emits 'error' on the next tick.
  let running = true;
  let startError: Error | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
    child.on('error', (err) => {
      // Only emitted when the process could not be spawned (e.g. ENOENT) or signalled.
      startError ??= err;
      if (child.pid === undefined) {
        running = false;
        resolve({ code: null, signal: null });
      }
    });
  });
  // The child has its own copy of the descriptor. Meanwhile 'error' (e.g. ENOENT) gets to fire.
  await log.close();
  await new Promise((r) => setImmediate(r));
  if (child.pid === undefined) {
    throw new Error(`${formatCommand(cmd, args)}: cannot start: ${startError?.message ?? 'no pid'} (is ${cmd} installed and on PATH?)`);
  }
  const pid = child.pid;
  let stopping: Promise<void> | undefined;
  return {
    pid,
    logFile: opts.logFile,
    exited,
    isRunning: () => running,
    stop(graceMs = 20_000) {
      stopping ??= (async () => {
        if (!running) return;
        killGroup(child, 'SIGTERM');
        const graceful = await withinMs(exited, graceMs);
        if (!graceful) {
          killGroup(child, 'SIGKILL');
          await withinMs(exited, 10_000);
        }
      })();
      return stopping;
    },
  };
}

/** Waits for `p` at most `ms`; true if it settled in time. The timer does not keep the process alive. */
export async function withinMs(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Last `maxChars` characters of a log file, or a note that it cannot be read. */
export async function readLogTail(file: string, maxChars = 6000): Promise<string> {
  try {
    return tail(await readFile(file, 'utf8'), maxChars);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '(no such file yet)';
    return `(cannot read ${file}: ${(err as Error).message})`;
  }
}

/**
 * Polls `probe` until it resolves truthy. Fails early if `daemon` exits, and in either failure case
 * the error carries the tail of the daemon's log.
 */
export async function waitForDaemon(
  what: string,
  daemon: Daemon | undefined,
  probe: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    if (daemon && !daemon.isRunning()) {
      const st = await daemon.exited;
      throw new Error(`${what} exited during startup (code ${st.code}, signal ${st.signal})\n--- ${daemon.logFile} ---\n${await readLogTail(daemon.logFile)}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) {
      const log = daemon ? `\n--- ${daemon.logFile} ---\n${await readLogTail(daemon.logFile)}` : '';
      throw new Error(`${what} not ready after ${timeoutMs} ms${lastError ? `; last probe error: ${lastError}` : ''}${log}`);
    }
    await delay(intervalMs);
  }
}

/**
 * Runs `fn`; if it throws, prints the tails of the given log files to stderr (they are where
 * daemons write) and rethrows. Use it around test bodies that talk to daemons.
 */
export async function withLogsOnFailure<T>(logFiles: () => readonly string[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    for (const f of logFiles()) {
      process.stderr.write(`\n===== ${f} (tail) =====\n${await readLogTail(f)}\n===== end ${f} =====\n`);
    }
    throw err;
  }
}

/**
 * Lazily unmounts every mount point at or below `dir` (deepest first). Daemons killed hard can leave
 * bind mounts behind (dockerd mounts its data-root on itself), which would make `rm -r` fail.
 * Best effort: errors are ignored.
 */
export async function unmountAllUnder(dir: string): Promise<void> {
  let info: string;
  try {
    info = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = info
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    await run('umount', ['-l', p], { timeoutMs: 10_000 }).catch(() => undefined);
  }
}
