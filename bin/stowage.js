#!/usr/bin/env node
// Entry point of the `stowage` command. The TypeScript sources are compiled to dist/ by
// `npm ci` / `npm install` (the prepare script) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('stowage: dist/ is missing; run `npm ci` (or `npm run build`) in the checkout first');
  process.exit(1);
}
// `serve` re-executes itself here with a small V8 young generation (src/cli/young-generation.ts).
const { serveWithSmallYoungGeneration } = await import(new URL('../dist/src/cli/young-generation.js', import.meta.url).href);
serveWithSmallYoungGeneration();
const { main } = await import(cli.href);
main(process.argv.slice(2)).catch((err) => {
  console.error(`stowage: ${err instanceof Error ? err.message : err}`);
  // A refused configuration is a usage error (2); anything else that stops the start is 1.
  process.exit(typeof err?.exitCode === 'number' ? err.exitCode : 1);
});
