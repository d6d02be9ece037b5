/**
 * Runs `stowage serve` as a child process, as an operator would (flags and environment), until it
 * says where it listens or exits. For tests of configuration and start-up failures.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../bin/stowage.js', import.meta.url));

export interface ServedChild {
  /** Where to reach it (a wildcard bind is reached on 127.0.0.1); absent when it did not start. */
  url?: string;
  /** Exit code when it exited instead of listening. */
  code?: number | null;
  stderr: string;
  /** The process itself (signals, exit code), and everything it wrote so far (stdout + stderr). */
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `shellSetup`: bash commands run before the server replaces the shell (`umask 022`, `ulimit -n
 * 8192`), for tests of what a process inherits.
 */
export function serveChild(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000, shellSetup?: string): Promise<ServedChild> {
  return new Promise((resolve) => {
    const command = [process.execPath, CLI, 'serve', ...args];
    const child = shellSetup
      ? spawn('bash', ['-c', `${shellSetup}; exec "$@"`, 'stowage', ...command], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(command[0] as string, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    const stop = async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    };
    const common = { child, output: () => output, stop };
    const timer = setTimeout(() => resolve({ stderr: `${stderr}\n(timed out)`, ...common }), timeoutMs);
    child.stdout.on('data', (c) => {
      stdout += c;
      output += c;
      const m = /listening on (https?):\/\/(\S+):(\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        const host = m[2] === '0.0.0.0' || m[2] === '[::]' ? '127.0.0.1' : m[2];
        resolve({ url: `${m[1]}://${host}:${m[3]}`, stderr, ...common });
      }
    });
    child.stderr.on('data', (c) => {
      stderr += c;
      output += c;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ...common });
    });
  });
}

/** What one `stowage` command run printed, how it exited and how long it took. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs one `stowage` command to its end, `input` on its stdin (a password, say), with only PATH in
 * its environment; a run that outlives `timeoutMs` is killed, so a hang fails its test.
 */
export function runCli(args: string[], input = '', timeoutMs = 20_000): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin.end(input);
  });
}
