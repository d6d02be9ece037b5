/**
 * Runs `stowage serve` as a child process, as an operator would (flags and environment), until it
 * says where it listens or exits. For tests of configuration and start-up failures.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../bin/stowage.js', import.meta.url));

export interface ServedChild {
  /** Where to reach it (a wildcard bind is reached on 127.0.0.1); absent when it did not start. */
  url?: string;
  /** Exit code when it exited instead of listening. */
  code?: number | null;
  stderr: string;
  stop(): Promise<void>;
}

export function serveChild(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<ServedChild> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const stop = async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    };
    const timer = setTimeout(() => resolve({ stderr: `${stderr}\n(timed out)`, stop }), timeoutMs);
    child.stdout.on('data', (c) => {
      stdout += c;
      const m = /listening on http:\/\/(\S+):(\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        const host = m[1] === '0.0.0.0' || m[1] === '[::]' ? '127.0.0.1' : m[1];
        resolve({ url: `http://${host}:${m[2]}`, stderr, stop });
      }
    });
    child.stderr.on('data', (c) => (stderr += c));
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stop });
    });
  });
}
