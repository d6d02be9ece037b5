/**
 * `stowage lifecycle preview`, `stowage repo delete` and `stowage usage` against the data
 * directory of a running server (issue 10), the config file's `repositories:` list (YAML) read
 * by both, refusals of a bad list naming the field, and the collector's lifecycle expiry
 * (expireByLifecycle) removing what the preview lists, with EXPIRE events in events.jsonl.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/serve-child.js';
import { startStowage, type TestRegistry } from '../helpers/server.js';
import { pushImage } from '../conformance/lib/push.js';
import { createPorts, EMBEDDED_DEFAULTS } from '../../src/adapters/create-ports.js';
import { expireByLifecycle } from '../../src/core/lifecycle/expire.js';
import { RepositorySettings } from '../../src/core/repository-settings.js';

const CONFIG = `repositories:
  - match: "ci/**"
    tagMutability: IMMUTABLE_WITH_EXCLUSION
    tagMutabilityExclusions: ["latest"]
    lifecyclePolicy:
      rules:
        - rulePriority: 1
          description: keep one untagged image
          selection: { tagStatus: untagged, countType: imageCountMoreThan, countNumber: 1 }
          action: { type: expire }
`;

describe('data lifecycle commands on a running server', () => {
  let dir: string;
  let reg: TestRegistry;
  let config: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stowage-cli-lifecycle-'));
    config = join(dir, 'stowage.yaml');
    await writeFile(config, CONFIG);
    const { parse } = await import('yaml');
    reg = await startStowage({ dataDir: join(dir, 'data'), backend: 'embedded', repositories: (parse(CONFIG) as { repositories: unknown[] }).repositories });
  });
  after(async () => {
    await reg.close();
    await rm(dir, { recursive: true, force: true });
  });
  const cli = (...args: string[]) => runCli([...args, '--data-dir', join(dir, 'data'), '--config', config]);

  test('lifecycle preview lists what the policy expires (--json in ECR preview shape, and a table); the collector expiry then removes exactly those, with EXPIRE events', async () => {
    const repo = 'ci/app';
    const kept = await pushImage(reg, repo, 'v1');
    const a = await pushImage(reg, repo);
    const b = await pushImage(reg, repo);
    const newest = await pushImage(reg, repo);
    const json = await cli('lifecycle', 'preview', repo, '--json');
    assert.equal(json.code, 0, json.stderr);
    const preview = JSON.parse(json.stdout) as {
      previewResults: { imageDigest: string; appliedRulePriority: number; action: { type: string } }[];
      summary: { expiringImageTotalCount: number };
    };
    assert.deepEqual(preview.previewResults.map((r) => r.imageDigest).sort(), [a.digest, b.digest].sort());
    assert.deepEqual(preview.summary, { expiringImageTotalCount: 2 });
    const table = await cli('lifecycle', 'preview', repo);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /ci\/app: 2 image\(s\) would expire/);
    assert.ok(table.stdout.includes(a.digest));

    const ports = await createPorts({ ...EMBEDDED_DEFAULTS, dataDir: join(dir, 'data') });
    try {
      const settings = RepositorySettings.fromJson(JSON.stringify((await import('yaml')).parse(CONFIG).repositories), 'test');
      const dry = await expireByLifecycle(ports, settings, new Date(), { dryRun: true });
      assert.equal(dry.manifestsExpired, 2, 'a dry run counts');
      assert.equal((await ports.metadata.listManifests(repo, { limit: 10 })).items.length, 4, 'and deletes nothing');
      const done = await expireByLifecycle(ports, settings, new Date());
      assert.deepEqual(done.expired.map((e) => e.digest).sort(), [a.digest, b.digest].sort());
      const left = (await ports.metadata.listManifests(repo, { limit: 10 })).items.map((m) => m.digest).sort();
      assert.deepEqual(left, [kept.digest, newest.digest].sort());
    } finally {
      ports.close();
    }
    const events = (await readFile(join(dir, 'data', 'events.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { detail: { 'action-type': string; 'image-digest': string; actor?: string } });
    const expired = events.filter((e) => e.detail['action-type'] === 'EXPIRE');
    assert.deepEqual(expired.map((e) => e.detail['image-digest']).sort(), [a.digest, b.digest].sort(), 'one EXPIRE event per expired manifest');
    assert.ok(expired.every((e) => e.detail.actor === 'stowage-lifecycle'));
  });

  test('repo delete refuses without --force, then deletes the repository with DELETE events; usage reports bytes per repository', async () => {
    const repo = 'team/gone';
    const img = await pushImage(reg, repo, 'v1');
    await pushImage(reg, 'team/stays', 'v1');
    const usage = await cli('usage', '--json');
    assert.equal(usage.code, 0, usage.stderr);
    const report = JSON.parse(usage.stdout) as { repositories: { name: string; bytes: number; manifests: number; tags: number }[]; totalBytes: number };
    const gone = report.repositories.find((r) => r.name === repo);
    assert.deepEqual(gone, { name: repo, bytes: img.config.size + img.layers[0]!.size + img.size, manifests: 1, tags: 1 });
    assert.equal(
      report.totalBytes,
      report.repositories.reduce((n, r) => n + r.bytes, 0),
      'nothing shared here: the total is the sum',
    );
    const table = await cli('usage');
    assert.match(table.stdout, /team\/gone\s+\d+\s+1\s+1/);

    const refused = await cli('repo', 'delete', repo);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /add --force/);
    const deleted = await cli('repo', 'delete', repo, '--force', '--json');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(JSON.parse(deleted.stdout), { name: repo, manifestsDeleted: 1, tagsDeleted: 1, blobLinksRemoved: 2 });
    const res = await fetch(`${reg.url}/v2/${repo}/tags/list`);
    assert.equal(res.status, 404, 'the running server sees the repository gone');
    const events = (await readFile(join(dir, 'data', 'events.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { detail: Record<string, unknown> });
    const deletes = events.filter((e) => e.detail['action-type'] === 'DELETE' && e.detail['repository-name'] === repo);
    assert.deepEqual(deletes.map((e) => e.detail['image-tag'] ?? null).sort(), ['v1', null].sort(), 'a DELETE for the tag and one for the manifest');
    const again = await cli('repo', 'delete', repo, '--force');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /repository team\/gone does not exist/);
  });

  test('bad input: one clear line naming what to fix', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      'repositories:\n  - match: "x"\n    lifecyclePolicy: { rules: [ { rulePriority: 1, selection: { tagStatus: tagged, countType: imageCountMoreThan, countNumber: 1 }, action: { type: expire } } ] }\n',
    );
    const run = await runCli(['usage', '--data-dir', join(dir, 'data'), '--config', bad]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /repositories\[0\]\.lifecyclePolicy\.rules\[0\]\.selection\.tagPrefixList: tagStatus tagged needs a tagPrefixList or a tagPatternList/);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    const name = await cli('lifecycle', 'preview', 'Bad Name');
    assert.equal(name.code, 2);
    assert.match(name.stderr, /invalid repository name/);
    const nowhere = await runCli(['usage', '--data-dir', join(dir, 'nothing-here')]);
    assert.equal(nowhere.code, 2);
    assert.match(nowhere.stderr, /holds no registry/);
  });
});
