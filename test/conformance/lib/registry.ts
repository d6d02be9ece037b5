import { startStowage } from '../../helpers/server.js';

export interface Registry {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the registry under test: Stowage's embedded default (filesystem blobs + SQLite)
 * in a fresh temporary data directory.
 *
 * For comparing behaviour with another registry during development only, set
 * CONFORMANCE_URL=http://127.0.0.1:PORT to point the suite at an already running one
 * (tests that assume a fresh, empty registry then may fail).
 */
export async function startRegistry(options: { repositories?: unknown[] } = {}): Promise<Registry> {
  const external = process.env.CONFORMANCE_URL;
  if (external) {
    return { url: external.replace(/\/+$/, ''), async close() {} };
  }
  const reg = await startStowage(options);
  return { url: reg.url.replace(/\/+$/, ''), close: () => reg.close() };
}

/**
 * Options for a test whose expectation the serverless stack cannot meet, with the reason: on the
 * `lambda` backend (test/backends/lambda-conformance.test.ts) the test runs as a TODO, so its
 * failure is reported without failing the run; on every other backend it is an ordinary test.
 * Each use is a known difference of the AWS deployment, listed in docs/local-harness.md.
 */
export function differsOnAws(reason: string): { todo?: string } {
  return process.env.STOWAGE_TEST_BACKEND === 'lambda' ? { todo: `differs on the serverless stack: ${reason}` } : {};
}
