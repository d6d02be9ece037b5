// A standalone containerd for e2e tests (needs root): the BuildKit-style push path (POST, then one
// monolithic PUT ?digest= per blob). Everything lives under baseDir:
//   baseDir/config.toml, baseDir/root, baseDir/state, baseDir/containerd.sock, baseDir/containerd.log
// The CRI plugin is disabled (not needed, and it would open a streaming port). ctr() defaults to the
// `native` snapshotter so unpacking after import/pull needs no overlay mounts.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, startDaemon, unmountAllUnder, waitForDaemon, type RunResult } from './exec.js';

export interface RunningContainerd {
  sock: string;
  logFile: string;
  /** Runs `ctr -a SOCK args...` (namespace "default", snapshotter "native" unless args say otherwise). */
  ctr(args: string[], opts?: { timeoutMs?: number }): Promise<RunResult>;
  stop(): Promise<void>;
}

function tomlString(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid TOML basic string for plain paths
}

export async function startContainerd(baseDir: string, opts: { startTimeoutMs?: number } = {}): Promise<RunningContainerd> {
  await mkdir(baseDir, { recursive: true });
  const root = join(baseDir, 'root');
  const state = join(baseDir, 'state');
  const sock = join(baseDir, 'containerd.sock');
  const configFile = join(baseDir, 'config.toml');
  const logFile = join(baseDir, 'containerd.log');
  await mkdir(root, { recursive: true });
  await mkdir(state, { recursive: true });
  await writeFile(
    configFile,
    [
      'version = 2',
      `root = ${tomlString(root)}`,
      `state = ${tomlString(state)}`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '',
      '[grpc]',
      `  address = ${tomlString(sock)}`,
      '',
      '[ttrpc]',
      `  address = ${tomlString(`${sock}.ttrpc`)}`,
      '',
      '[debug]',
      `  address = ${tomlString(join(baseDir, 'debug.sock'))}`,
      '',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = ${tomlString(join(baseDir, 'opt'))}`,
      '',
    ].join('\n'),
  );

  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERD_SNAPSHOTTER: 'native' };
  delete env.CONTAINERD_ADDRESS;
  delete env.CONTAINERD_NAMESPACE;
  const daemon = await startDaemon('containerd', ['--config', configFile], { logFile, env });

  const ctr = (args: string[], o: { timeoutMs?: number } = {}) => run('ctr', ['-a', sock, ...args], { env, timeoutMs: o.timeoutMs ?? 180_000 });

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await daemon.stop(20_000);
      await unmountAllUnder(baseDir);
    })();
    return stopped;
  };

  try {
    await waitForDaemon(
      'containerd',
      daemon,
      async () => {
        await run('ctr', ['-a', sock, 'version'], { env, timeoutMs: 10_000 });
        return true;
      },
      { timeoutMs: opts.startTimeoutMs ?? 30_000, intervalMs: 200 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { sock, logFile, ctr, stop };
}
