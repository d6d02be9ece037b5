// A private Docker daemon for e2e tests (needs root). Everything it owns lives under baseDir:
//   baseDir/root        --data-root (vfs storage; its own containerd's root is root/containerd/daemon)
//   baseDir/exec        --exec-root (its own containerd's socket and state: exec/containerd/)
//   baseDir/docker.sock the API socket
//   baseDir/dockerd.log stdout+stderr of dockerd (and of the containerd it starts)
// dockerd starts a managed containerd whose paths derive from --exec-root and --data-root, so this
// daemon coexists with a standalone containerd (see containerd.ts) and with other private dockerds.
// Caveat: if /run/containerd/containerd.sock exists, dockerd 20.10 uses that system containerd instead.
//
// Registries on 127.0.0.0/8 are plain HTTP for dockerd by default, so no --insecure-registry is needed.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { delay, readLogTail, run, startDaemon, unmountAllUnder, waitForDaemon, type RunResult } from './exec.js';

export interface RunningDockerd {
  sock: string;
  logFile: string;
  /** Runs the docker CLI against this daemon (with a private DOCKER_CONFIG). */
  docker(args: string[], opts?: { timeoutMs?: number; input?: string }): Promise<RunResult>;
  stop(): Promise<void>;
}

/** The docker CLI to use: $DOCKER_CLI, else `docker` on PATH. Any 20.10+ client works (API is negotiated). */
function dockerCli(): string {
  return process.env.DOCKER_CLI || 'docker';
}

/** process.env without DOCKER_* variables that could redirect the CLI (DOCKER_HOST, DOCKER_CONTEXT, TLS...). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DOCKER_')) env[k] = v;
  return { ...env, ...extra };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills `pid` if it is still alive and its command line mentions `marker` (so we only kill our own). */
async function killIfOurs(pid: number, marker: string): Promise<void> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes(marker)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && pidAlive(pid); i++) await delay(100);
  if (pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    for (let i = 0; i < 50 && pidAlive(pid); i++) await delay(100);
  }
}

export async function startDockerd(baseDir: string, opts: { startTimeoutMs?: number } = {}): Promise<RunningDockerd> {
  const dataRoot = join(baseDir, 'root');
  const execRoot = join(baseDir, 'exec');
  const configDir = join(baseDir, 'client-config');
  await mkdir(dataRoot, { recursive: true });
  await mkdir(execRoot, { recursive: true });
  await mkdir(configDir, { recursive: true });
  const sock = join(baseDir, 'docker.sock');
  const logFile = join(baseDir, 'dockerd.log');
  const host = `unix://${sock}`;
  const env = cleanEnv({ DOCKER_CONFIG: configDir });

  const daemon = await startDaemon(
    'dockerd',
    [
      '--data-root',
      dataRoot,
      '--exec-root',
      execRoot,
      '-H',
      host,
      '--pidfile',
      join(baseDir, 'docker.pid'),
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--storage-driver=vfs',
    ],
    { logFile, env },
  );

  const docker = (args: string[], o: { timeoutMs?: number; input?: string } = {}) =>
    run(dockerCli(), ['-H', host, ...args], { env, timeoutMs: o.timeoutMs ?? 180_000, ...(o.input !== undefined && { input: o.input }) });

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // dockerd runs its containerd in a separate session; remember it so it cannot outlive us.
      const ctrPidText = await readFile(join(execRoot, 'containerd', 'containerd.pid'), 'utf8').catch(() => '');
      await daemon.stop(30_000);
      const ctrPid = Number.parseInt(ctrPidText.trim(), 10);
      if (Number.isInteger(ctrPid) && ctrPid > 0) await killIfOurs(ctrPid, execRoot);
      await unmountAllUnder(baseDir);
    })();
    return stopped;
  };

  try {
    await waitForDaemon(
      'dockerd',
      daemon,
      async () => {
        await run(dockerCli(), ['-H', host, 'info', '--format', '{{.ServerVersion}}'], { env, timeoutMs: 10_000 });
        return true;
      },
      { timeoutMs: opts.startTimeoutMs ?? 60_000, intervalMs: 300 },
    );
  } catch (err) {
    await stop();
    throw err;
  }

  return { sock, logFile, docker, stop };
}

/** Tail of a dockerd log, for failure messages. */
export function dockerdLogTail(d: RunningDockerd): Promise<string> {
  return readLogTail(d.logFile);
}
