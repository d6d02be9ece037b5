/**
 * The `stowage` command as one file: the entry esbuild bundles for the upload service
 * (lib/upload-service-code.ts), which runs it on a stock Node.js image instead of a built one
 * (no Docker at deploy). The same as bin/stowage.js, minus the dist/ lookup.
 */
import { main } from './main.js';
import { serveWithSmallYoungGeneration } from './young-generation.js';

serveWithSmallYoungGeneration();

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`stowage: ${err instanceof Error ? err.message : String(err)}\n`);
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  process.exit(typeof code === 'number' ? code : 1);
});
