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
  coldStartMinMs: number | null;
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

// The cold start is judged on each bundle's fastest of its 3 samples (coldStartMinMs), not the
// median: a busy machine only ever adds time to a sample, so the fastest one is the closest to
// what the bundle itself costs, and it still fails when the bundle is slow on every sample (a
// heavier import, a new client on the first call). A median fails on a CI runner that is merely
// busy for the whole run; a fixed margin above 150 ms would let a real regression through.
const COLD_START_TODO =
  'not met, and not reachable while the bundles take the AWS SDK from the runtime (lib/lambda-bundling.ts): a bare DynamoDB ' +
  'client making one GetItem, with no registry code (`node scripts/lambda-bundles.mjs --floor`, row floor:dynamodb), costs ' +
  'more than the budget by itself, and every registry bundle but the ping creates one. 2026-12-02 15:38, load 3.7-3.9, medians ' +
  'of 5, import + first call: floor:dynamodb 244 ms, floor:dynamodb+s3 290, floor:eventbridge 223; the table bundles 230-325 ' +
  '(those answering 400 before any call 197-236), the S3 ones 292-362, stream-events 197, ping 40. Profile of the floor`s ' +
  'import (174-194 ms under the profiler): V8 compiling the SDK`s 31 CommonJS files 52-62 ms, the node builtins it requires ' +
  '(http, https, crypto, stream) 42-49, module resolution and file reads 22-29, the CommonJS loader 25-31, the SDK`s top-level ' +
  'code 19; GC 38-49 over the process. Bundling the SDK in adds about 200 KB per bundle (440 KB with S3), past the median and ' +
  '400 KB budgets (headBlob 161 -> 357 KiB, getBlob 178 -> 608). One minified file per SDK package outside the bundles, ' +
  'tree-shaken to what they import, as a layer of our own would ship it, leaves the bundles as they are (`--sdk built`; ' +
  'interleaved A/B, medians of 7, 15:42, load 3.4-3.9): floor:dynamodb 210 -> 139 ms, headBlob 255 -> 169, listTags ' +
  '279 -> 185, catalog 274 -> 170, stream-events 213 -> 154, floor:eventbridge 238 -> 163; with S3 (whole package: ' +
  'large-objects.ts imports it dynamically) getBlob 314 -> 271, startUpload 341 -> 297. Not there on this machine; the ' +
  'table Lambdas could be on a quiet one';

test('every bundle starts cold (import + first invocation) in at most 150 ms', { todo: COLD_START_TODO }, () => {
  const slow = rows.filter((r) => r.coldStartMinMs !== null && r.coldStartMinMs > BUDGET.coldStartMs).map((r) => `${r.name} ${r.coldStartMinMs} ms`);
  assert.deepEqual(slow, [], `bundles slower than ${BUDGET.coldStartMs} ms on their fastest sample`);
});
