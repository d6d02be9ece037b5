/**
 * The Lambda bundle budget of issue 9, on the bundles the stack deploys (scripts/lambda-bundles.mjs
 * bundles every lambdas/*.ts with lib/defaults.ts's esbuild options and measures each cold start
 * locally: a fresh node imports the bundle and calls its handler once, against emulators):
 *
 *   ping <= 50 KB minified; the median bundle <= 250 KB; none above 400 KB;
 *   cold start (import + first invocation) <= 150 ms for every bundle.
 *
 * Registered as `todo` while the budget is not met (node:test reports a failing todo without
 * failing the run): the figures it prints are the ones to bring down. Drop `todo` once it passes,
 * and it guards the budget from then on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const KB = 1000;
const BUDGET = { pingBytes: 50 * KB, medianBytes: 250 * KB, maxBytes: 400 * KB, coldStartMs: 150 };

interface Row {
  name: string;
  bytes: number;
  coldStartMs: number | null;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

test('Lambda bundles stay within the size and cold-start budget', {
  todo: 'issue 9 item 2: not met yet (zod in the auth path, the AWS SDK credential chain)',
  timeout: 600_000,
}, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'scripts/lambda-bundles.mjs'), '--json', '--runs', '3'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const rows = JSON.parse(stdout.trim().split('\n').at(-1)!) as Row[];
  const ping = rows.find((r) => r.name === 'ping');
  assert.ok(ping, 'the ping bundle is measured');
  const problems: string[] = [];
  if (ping.bytes > BUDGET.pingBytes) problems.push(`ping is ${ping.bytes} bytes (budget ${BUDGET.pingBytes})`);
  const mid = median(rows.map((r) => r.bytes));
  if (mid > BUDGET.medianBytes) problems.push(`the median bundle is ${mid} bytes (budget ${BUDGET.medianBytes})`);
  for (const r of rows) {
    if (r.bytes > BUDGET.maxBytes) problems.push(`${r.name} is ${r.bytes} bytes (budget ${BUDGET.maxBytes})`);
    if (r.coldStartMs !== null && r.coldStartMs > BUDGET.coldStartMs) problems.push(`${r.name} starts cold in ${r.coldStartMs} ms (budget ${BUDGET.coldStartMs})`);
  }
  assert.deepEqual(problems, []);
});
