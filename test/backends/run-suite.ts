/**
 * Runs a whole test directory (the conformance suite, the real-client e2e tests) again against
 * another adapter family, in the same `npm test` run: it selects the backend that
 * test/helpers/server.ts's startStowage() builds, then imports every test file of the
 * directory, whose tests register in this process. The tests themselves are not copied.
 */
import { readdir } from 'node:fs/promises';
import type { TestBackend } from '../helpers/server.js';

export async function runSuiteOn(backend: TestBackend, directory: URL): Promise<void> {
  process.env.STOWAGE_TEST_BACKEND = backend;
  const files = (await readdir(directory)).filter((f) => f.endsWith('.test.js')).sort();
  if (files.length === 0) throw new Error(`no test files in ${directory.pathname}`);
  for (const file of files) await import(new URL(file, directory).href);
}
