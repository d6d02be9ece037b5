import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/shells/http/server.js';

export interface TestRegistry {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** host:port, as clients such as docker and skopeo want it */
  host: string;
  dataDir: string;
  close(): Promise<void>;
}

/** Starts Stowage on the embedded default (filesystem + SQLite) in a fresh temp data dir on a free loopback port. */
export async function startStowage(options: { dataDir?: string } = {}): Promise<TestRegistry> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'stowage-test-')));
  const server = await startServer({ dataDir, host: '127.0.0.1', port: 0 });
  return {
    url: server.url,
    host: `127.0.0.1:${server.port}`,
    dataDir,
    async close() {
      await server.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
