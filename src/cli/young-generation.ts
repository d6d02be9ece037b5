/**
 * The server's V8 young generation. Under load V8 grows each of its two semi-spaces to 16 MiB:
 * 32 MiB resident that a server whose young objects are a request's does not need. Peak RSS of a
 * fresh server through a streamed push (bench/README.md, issue 15): ~128 MiB by default, ~119 with
 * 4 MiB semi-spaces, ~106 with 2 MiB, for more frequent but short scavenges. Node takes the flag
 * only at start, so `serve` re-executes itself with it: process.execve keeps the pid (no child, a
 * supervisor's signals still reach the server). Used by bin/stowage.js and the upload service's
 * bundle (bundle-entry.ts).
 */
const SEMI_SPACE = '--max-semi-space-size';
export const SEMI_SPACE_MIB = 2;

/**
 * Re-executes this process with the flag when it is about to `serve`; returns (nothing to do) when
 * the operator chose a size (node's arguments or NODE_OPTIONS), or on a node without execve.
 */
export function serveWithSmallYoungGeneration(argv: readonly string[] = process.argv): void {
  if (argv[2] !== 'serve' || typeof process.execve !== 'function' || process.platform === 'win32') return;
  const chosen = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (chosen.some((flag) => flag.replaceAll('_', '-').startsWith(SEMI_SPACE))) return;
  process.execve(process.execPath, [process.execPath, `${SEMI_SPACE}=${SEMI_SPACE_MIB}`, ...process.execArgv, ...argv.slice(1)], process.env);
}
