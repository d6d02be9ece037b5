/**
 * The Lambda bundle budget of issue 9, on the bundles the stack deploys (scripts/lambda-bundles.mjs
 * bundles every lambdas/*.ts with the stack's own esbuild options, lib/lambda-bundling.ts, and
 * measures each cold start locally: a fresh node imports the bundle and calls its handler once,
 * against emulators):
 *
 *   ping <= 50 KB minified; the median bundle <= 250 KB; none above 400 KB;
 *   cold start (import + first invocation) <= 150 ms for every bundle.
 *
 * One test per number, so that each one met is guarded and each one missed is visible by name.
 * A number not met yet is registered as `todo` (node:test reports a failing todo without failing
 * the run) with the last measured figure and the reason; drop `todo` once it passes.
 */
import { before, test } from 'node:test';
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

let rows: Row[] = [];

before(
  async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'scripts/lambda-bundles.mjs'), '--json', '--runs', '3'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    rows = JSON.parse(stdout.trim().split('\n').at(-1)!) as Row[];
    assert.ok(
      rows.some((r) => r.name === 'ping'),
      'the ping bundle is measured',
    );
  },
  { timeout: 600_000 },
);

test('the ping bundle is at most 50 KB: no AWS client, no policy parser, no JWT library', () => {
  const ping = rows.find((r) => r.name === 'ping')!;
  assert.ok(ping.bytes <= BUDGET.pingBytes, `ping is ${ping.bytes} bytes (budget ${BUDGET.pingBytes})`);
});

// Met with the AWS SDK left to the runtime (lib/lambda-bundling.ts): with it bundled, the DynamoDB
// client alone is about 200 KB and with the S3 client about 371 KB, so neither could hold.
test('the median bundle is at most 250 KB', () => {
  const mid = median(rows.map((r) => r.bytes));
  assert.ok(mid <= BUDGET.medianBytes, `the median bundle is ${mid} bytes (budget ${BUDGET.medianBytes})`);
});

test('no bundle is above 400 KB', () => {
  const over = rows.filter((r) => r.bytes > BUDGET.maxBytes).map((r) => `${r.name} ${r.bytes}`);
  assert.deepEqual(over, [], `bundles above ${BUDGET.maxBytes} bytes`);
});

const COLD_START_TODO =
  'not met: the bundles leave the AWS SDK to the runtime (the size budgets rule out bundling it: a bare DynamoDB client with ' +
  'its commands is 200 KB minified, 182 KB with the credential chain cut to fromEnv and no event-stream codec), so a cold start ' +
  'requires it unminified from node_modules (the DynamoDB client: 31 CommonJS modules, 885 KB; S3 adds 8 more, 413 KB), most of ' +
  'every cold start. Quiet figures of the CommonJS bundles (load 1.3-1.5, 2026-12-02 13:09, medians of 5, `node ' +
  'scripts/lambda-bundles.mjs --runs 5`, import + first call): ping 33 ms; stream-events 219; the registry bundles 190-392 (those ' +
  'that answer a 400 before touching the table 190-319, the table readers 225-308, the S3 ones 382-392). The same minutes as ES ' +
  'modules: getBlob 503 (CommonJS 329), headBlob 305 (250). Meeting it needs a smaller AWS client than the SDK v3 packages';

test('every bundle starts cold (import + first invocation) in at most 150 ms', { todo: COLD_START_TODO }, () => {
  const slow = rows.filter((r) => r.coldStartMs !== null && r.coldStartMs > BUDGET.coldStartMs).map((r) => `${r.name} ${r.coldStartMs} ms`);
  assert.deepEqual(slow, [], `bundles slower than ${BUDGET.coldStartMs} ms`);
});
