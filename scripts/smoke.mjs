#!/usr/bin/env node
/**
 * `npm run smoke -- https://HOST [--user U --password P]`: docker, ctr and skopeo against a
 * deployed registry (test/smoke/smoke.ts says what each check proves); prints what passed and
 * exits 1 when a check failed. Needs the compiled tree (npm ci builds it), umoci and skopeo to
 * build the test image, and root for the private dockerd and containerd (else those are skipped).
 *
 *   node scripts/smoke.mjs https://HOST [--user U] [--password P | --password-stdin]
 *                          [--clients docker,ctr,skopeo] [--layer-mib N] [--cleanup] [--keep]
 *
 * The password can also come from STOWAGE_SMOKE_PASSWORD (keeps it out of `ps` and shell history).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const smokeModule = join(root, 'dist/test/smoke/smoke.js');
if (!existsSync(smokeModule)) {
  console.error('smoke: dist/ is missing; run `npx tsc -p .` first');
  process.exit(2);
}

const usage = 'usage: npm run smoke -- https://HOST [--user U] [--password P | --password-stdin] [--clients docker,ctr,skopeo] [--layer-mib N] [--cleanup] [--keep]';
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      user: { type: 'string' },
      password: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      clients: { type: 'string' },
      'layer-mib': { type: 'string' },
      cleanup: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  console.error(`smoke: ${err.message}\n${usage}`);
  process.exit(2);
}
const { values: args, positionals } = parsed;
if (args.help || positionals.length !== 1) {
  console.log(usage);
  process.exit(args.help ? 0 : 2);
}
const registry = /^https?:\/\//.test(positionals[0]) ? positionals[0] : `https://${positionals[0]}`;
const password = args['password-stdin'] ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : (args.password ?? process.env.STOWAGE_SMOKE_PASSWORD);
if ((args.user === undefined) !== (password === undefined)) {
  console.error('smoke: give both --user and a password (--password, --password-stdin or STOWAGE_SMOKE_PASSWORD), or neither');
  process.exit(2);
}
const clients = args.clients
  ?.split(',')
  .map((c) => c.trim())
  .filter(Boolean);
for (const c of clients ?? []) {
  if (!['docker', 'ctr', 'skopeo'].includes(c)) {
    console.error(`smoke: unknown client "${c}" (docker, ctr, skopeo)`);
    process.exit(2);
  }
}

const { runSmoke, formatResults } = await import(smokeModule);
const results = await runSmoke({
  registry,
  ...(args.user !== undefined && { user: args.user, password }),
  ...(clients && { clients }),
  ...(args['layer-mib'] && { layerBytes: Math.round(Number(args['layer-mib']) * 1024 * 1024) }),
  cleanup: args.cleanup,
  keep: args.keep,
  log: (line) => process.stderr.write(`smoke: ${line}\n`),
});
console.log(formatResults(registry, results));
process.exit(results.some((r) => r.status === 'fail') ? 1 : 0);
