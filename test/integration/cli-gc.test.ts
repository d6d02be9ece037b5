/**
 * `stowage gc` against the data directory of a running `stowage serve` (the README's walk-through):
 * push two images sharing a layer, delete one, and the collection frees exactly the bytes only
 * the deleted image held; the other still pulls. Dry runs change nothing; bad durations and a
 * directory without registry data get one clear line. The server's /metrics counts its own
 * periodic collections (--gc-interval).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, serveChild } from '../helpers/serve-child.js';
import { req } from '../conformance/lib/http.js';
import { configBytes, descriptorOf, imageManifest, MT, pushBlob, pushManifest } from '../conformance/lib/push.js';

const env = { PATH: process.env.PATH, STOWAGE_LOG_LEVEL: 'error' };

test('stowage gc frees the bytes of a deleted image beside a running server, and only those', { timeout: 120_000 }, async () => {
  const data = await mkdtemp(join(tmpdir(), 'stowage-cli-gc-'));
  const served = await serveChild(['--data-dir', data, '--port', '0', '--gc-interval', '0'], env);
  assert.ok(served.url, served.stderr);
  const reg = { url: served.url, close: async () => {} };
  try {
    const shared = 'shared layer '.repeat(100);
    const only = 'layer only the old image has '.repeat(300);
    const configA = configBytes({ created: 'a' });
    const configB = configBytes({ created: 'b' });
    for (const blob of [shared, only, configA, configB]) await pushBlob(reg, 'team/app', blob);
    const old = imageManifest({ config: descriptorOf(MT.ociConfig, configA), layers: [descriptorOf(MT.ociLayer, shared), descriptorOf(MT.ociLayer, only)] });
    const keep = imageManifest({ config: descriptorOf(MT.ociConfig, configB), layers: [descriptorOf(MT.ociLayer, shared)] });
    const oldDigest = await pushManifest(reg, 'team/app', 'old', old, MT.ociManifest);
    await pushManifest(reg, 'team/app', 'keep', keep, MT.ociManifest);
    assert.equal((await req(reg, 'DELETE', `/v2/team/app/manifests/${oldDigest}`)).status, 202);

    const dry = await runCli(['gc', '--dry-run', '--json', '--grace', '0s', '--data-dir', data], '', 60_000);
    assert.equal(dry.code, 0, dry.stderr);
    const expectedBytes = Buffer.byteLength(only) + Buffer.byteLength(configA);
    assert.deepEqual(
      (({ blobsDeleted, bytesFreed, dryRun }) => ({ blobsDeleted, bytesFreed, dryRun }))(JSON.parse(dry.stdout)),
      { blobsDeleted: 2, bytesFreed: expectedBytes, dryRun: true },
      'the dry run names what would go',
    );
    assert.equal((await req(reg, 'GET', `/v2/team/app/blobs/${descriptorOf(MT.ociLayer, only).digest}`)).status, 200, 'a dry run removes nothing');

    const held = await runCli(['gc', '--json', '--data-dir', data], '', 60_000);
    assert.equal(held.code, 0, held.stderr);
    assert.equal(JSON.parse(held.stdout).blobsDeleted, 0, 'the default grace (1h) keeps what was just pushed');

    const run = await runCli(['gc', '--json', '--grace', '0s', '--data-dir', data], '', 60_000);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    for (const key of ['manifestsDeleted', 'blobsDeleted', 'bytesFreed', 'uploadsExpired']) assert.equal(typeof report[key], 'number', key);
    assert.equal(report.blobsDeleted, 2);
    assert.equal(report.bytesFreed, expectedBytes);
    assert.equal((await req(reg, 'GET', `/v2/team/app/blobs/${descriptorOf(MT.ociLayer, only).digest}`)).status, 404, 'the deleted image layer is gone');
    for (const blob of [shared, configB]) {
      const res = await req(reg, 'GET', `/v2/team/app/blobs/${descriptorOf(MT.ociLayer, blob).digest}`);
      assert.equal(res.status, 200);
      assert.equal(res.text, blob, 'the kept image pulls back intact');
    }
    const again = await runCli(['gc', '--grace', '0s', '--data-dir', data], '', 60_000);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /removed 0 blob\(s\), 0 B/, 'a second collection finds nothing: idempotent');
  } finally {
    await served.stop();
  }
});

test('stowage gc: a bad duration or a directory without registry data is one clear line, exit 2', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'stowage-cli-gc-empty-'));
  const bad = await runCli(['gc', '--grace', '10 minutes', '--data-dir', empty]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr.trim(), /^[^\n]*--grace "10 minutes" is not a duration: use a duration such as 0s, 90m, 24h/);
  const none = await runCli(['gc', '--data-dir', join(empty, 'nothing-here')]);
  assert.equal(none.code, 2);
  assert.match(none.stderr.trim(), /^[^\n]*no registry data there/);
  const unknown = await runCli(['gc', '--force']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option "--force" for stowage gc/);
});

test('stowage serve --gc-interval: periodic collections show on /metrics', { timeout: 60_000 }, async () => {
  const data = await mkdtemp(join(tmpdir(), 'stowage-gc-interval-'));
  const served = await serveChild(['--data-dir', data, '--port', '0', '--gc-interval', '200ms', '--gc-grace', '0s'], env);
  assert.ok(served.url, served.stderr);
  try {
    const reg = { url: served.url, close: async () => {} };
    await pushBlob(reg, 'solo/blob', 'never referenced by a manifest');
    let metrics = '';
    // Polls the server's own state; each sweep is 200 ms apart.
    for (let i = 0; i < 100 && !/stowage_gc_bytes_freed_total \d*[1-9]/.test(metrics); i++) {
      metrics = (await req(reg, 'GET', '/metrics')).text;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(metrics, /stowage_gc_runs_total\{result="complete"\} [1-9]/);
    assert.match(metrics, /stowage_gc_bytes_freed_total 30\b/, 'the unreferenced 30-byte blob was collected');
    assert.match(metrics, /stowage_gc_last_run_timestamp_seconds \d/);
  } finally {
    await served.stop();
  }
});
