/**
 * One real `cdk synth` of the app in bin/, as `cdk deploy` would run it: every Lambda bundled by
 * esbuild (no Docker), CDK's CloudFormation validation on with findings as errors (cdk.json), the
 * image asset staged from the Dockerfile without a Docker engine. Offline. How long it takes is a
 * bench row (`npm run bench -- --rows=cdk_synth_s`), not an assertion here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../lib/stowage-registry.js';
import { OPERATIONS } from '../../lib/functions.js';

/** Only a hung synth is cut off (it takes about 12 s on an idle machine). */
const SYNTH_TIMEOUT_MS = 600_000;

test('cdk synth: bundles every function, passes CloudFormation validation', () => {
  const out = mkdtempSync(join(tmpdir(), 'stowage-synth-'));
  // The CLI writes cdk.context.json next to cdk.json; leave the checkout as it was.
  const contextFile = join(PACKAGE_ROOT, 'cdk.context.json');
  const hadContextFile = existsSync(contextFile);
  try {
    // Outside us-east-1 with a web ACL: the edge function and the ACL go to us-east-1 stacks.
    const run = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-c', 'stowage:region=eu-west-1', '-c', 'stowage:waf=true', '--output', out], {
      cwd: PACKAGE_ROOT,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      encoding: 'utf8',
      timeout: SYNTH_TIMEOUT_MS,
    });
    assert.equal(run.status, 0, `cdk synth failed:\n${run.stdout}\n${run.stderr}`);

    const template = JSON.parse(readFileSync(join(out, 'Stowage.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, string> }>;
    };
    const resources = Object.keys(template.Resources).length;
    assert.ok(resources < 500);

    // Every operation's function is a real esbuild bundle (CommonJS, lib/lambda-bundling.ts) with its source map.
    const functions = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties?.Description ?? '').startsWith('Stowage registry: '),
    );
    assert.equal(functions.length, OPERATIONS.length);
    for (const fn of functions) {
      const asset = fn.Metadata?.['aws:asset:path'];
      assert.ok(asset, 'asset metadata');
      assert.ok(existsSync(join(out, asset, 'index.js')), `${asset}/index.js`);
      assert.ok(existsSync(join(out, asset, 'index.js.map')), `${asset}/index.js.map`);
      assert.ok(readFileSync(join(out, asset, 'index.js'), 'utf8').length > 1000);
    }
    // The Lambda@Edge code went into its us-east-1 stack, bundled as CommonJS.
    const edgeTemplate = readdirSync(out).find((f) => f.startsWith('edge-lambda-stack-') && f.endsWith('.template.json'));
    assert.ok(edgeTemplate, 'the edge stack exists');
    const edge = JSON.parse(readFileSync(join(out, edgeTemplate), 'utf8')) as typeof template;
    const edgeFn = Object.values(edge.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    assert.ok(existsSync(join(out, String(edgeFn?.Metadata?.['aws:asset:path']), 'index.js')), 'edge bundle');
    assert.ok(existsSync(join(out, 'StowageWebAcl.template.json')), 'the web ACL stack exists');

    // CDK's CloudFormation validation ran with findings as errors and found none.
    const report = JSON.parse(readFileSync(join(out, 'validation-report.json'), 'utf8')) as { pluginReports: { violations?: unknown[] }[] };
    assert.deepEqual(
      report.pluginReports.flatMap((r) => r.violations ?? []),
      [],
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
    if (!hadContextFile && existsSync(contextFile) && readFileSync(contextFile, 'utf8').trim() === '{}') rmSync(contextFile);
  }
});
