#!/usr/bin/env node
/**
 * `npm run smoke -- https://HOST [--user U --password P] [--stack NAME --region R]`: docker, ctr
 * and skopeo against a deployed registry, and with --stack the checks that need the stack (its
 * CloudFront name, events on its bus, a collector run; test/smoke/smoke.ts says what each check
 * proves); prints one line per check and exits 1 when a check failed. Needs the compiled tree
 * (npm ci builds it), umoci and skopeo to build the test image, root for the private dockerd and
 * containerd (else those are skipped), and with --stack AWS credentials (docs/deploy.md lists the
 * permissions). Without a URL, --stack's RegistryHost output is the registry.
 *
 *   node scripts/smoke.mjs [https://HOST] [--user U] [--password P | --password-stdin]
 *                          [--clients docker,ctr,skopeo] [--layer-mib N] [--cleanup] [--keep]
 *                          [--stack NAME] [--region R] [--event-deadline SECONDS]
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

const usage =
  'usage: npm run smoke -- [https://HOST] [--user U] [--password P | --password-stdin] [--clients docker,ctr,skopeo] [--layer-mib N] [--cleanup] [--keep] [--stack NAME] [--region R] [--event-deadline SECONDS]';
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
      stack: { type: 'string' },
      region: { type: 'string' },
      'event-deadline': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  console.error(`smoke: ${err.message}\n${usage}`);
  process.exit(2);
}
const { values: args, positionals } = parsed;
if (args.help || positionals.length > 1 || (positionals.length === 0 && !args.stack)) {
  console.log(usage);
  process.exit(args.help ? 0 : 2);
}
const region = args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
if (args.stack && !region) {
  console.error('smoke: --stack needs --region (or AWS_REGION)');
  process.exit(2);
}
const eventDeadline = args['event-deadline'] === undefined ? undefined : Number(args['event-deadline']);
if (eventDeadline !== undefined && !(eventDeadline > 0)) {
  console.error(`smoke: --event-deadline is a number of seconds, not "${args['event-deadline']}"`);
  process.exit(2);
}
let stackOutputs;
if (positionals.length === 0) {
  const { smokeAws } = await import(join(root, 'dist/test/smoke/aws.js'));
  try {
    stackOutputs = await smokeAws({ region }).stackOutputs(args.stack);
  } catch (err) {
    console.error(`smoke: cannot read the outputs of stack ${args.stack} in ${region}: ${err.message}`);
    process.exit(1);
  }
  if (!stackOutputs.RegistryHost) {
    console.error(`smoke: stack ${args.stack} has no RegistryHost output`);
    process.exit(1);
  }
}
const target = positionals[0] ?? stackOutputs.RegistryHost;
const registry = /^https?:\/\//.test(target) ? target : `https://${target}`;
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
  ...(args.stack && { stack: args.stack, region }),
  ...(stackOutputs && { stackOutputs }),
  ...(eventDeadline !== undefined && { eventDeadlineMs: eventDeadline * 1000 }),
  log: (line) => process.stderr.write(`smoke: ${line}\n`),
});
console.log(formatResults(registry, results));
process.exit(results.some((r) => r.status === 'fail') ? 1 : 0);
