/**
 * What each Lambda bundle imports from the AWS SDK, which the bundles leave to the runtime
 * (lib/lambda-bundling.ts): issue 9 asks that an operation that never touches S3 carry no S3
 * client and that the ping carry no AWS client at all. Each entry is bundled with the stack's own
 * options and its SDK imports (esbuild's metafile: static imports load at cold start, dynamic ones
 * on first use) are checked against the port set it wires (src/shells/lambda/ports/README.md).
 * A module the operation needs on every request belongs at load; one only some requests need
 * (the bucket's large manifests, the presigner of a blob GET) on first use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { LAMBDA_ESBUILD_OPTIONS } from '../../lib/lambda-bundling.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LAMBDAS = join(ROOT, 'lambdas');
const entries = readdirSync(LAMBDAS)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

/**
 * The SDK packages a bundle imports, split by how its source imports them: statically (loaded at
 * cold start) or with a dynamic import (loaded on first use). The bundles are CommonJS, where both
 * become `require` calls (the dynamic ones inside a promise), so the split is read from the source
 * modules that reach the output, not from the output's import list.
 */
async function sdkImports(entry: string): Promise<{ atLoad: string[]; onFirstUse: string[] }> {
  const result = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    sourcemap: false,
    entryPoints: [join(LAMBDAS, `${entry}.ts`)],
    outfile: join(ROOT, 'out.js'),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const { inputs, outputs } = result.metafile;
  const bundled = Object.values(outputs).flatMap((o) =>
    Object.entries(o.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([file]) => file),
  );
  const imports = bundled.flatMap((file) => inputs[file]?.imports ?? []);
  const sdk = (kind: string) => [...new Set(imports.filter((i) => i.external && i.kind === kind && i.path.startsWith('@aws-sdk/')).map((i) => i.path))].sort();
  return { atLoad: sdk('import-statement'), onFirstUse: sdk('dynamic-import') };
}

/** The port set `lambdas/<entry>.ts` wires, from its source. */
const portSet = (entry: string) => /ports\/(table|table-and-manifests|table-and-blobs)\.js/.exec(readFileSync(join(LAMBDAS, `${entry}.ts`), 'utf8'))?.[1];

test('the SDK is left to the runtime: no bundle carries an @aws-sdk module', async () => {
  const result = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    sourcemap: false,
    entryPoints: entries.map((e) => join(LAMBDAS, `${e}.ts`)),
    outdir: join(ROOT, 'out'),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const bundled = Object.keys(result.metafile.inputs).filter((f) => f.includes('node_modules/@aws-sdk/'));
  assert.deepEqual(bundled, []);
});

test('the ping and the scan-on-push hook import no AWS SDK; the anonymous-pull authorizer none at load', async () => {
  for (const entry of ['ping', 'scan-on-push']) {
    assert.deepEqual(await sdkImports(entry), { atLoad: [], onFirstUse: [] }, entry);
  }
  // With IAM login on, its first registry-minted token needs the key's public key (kms:GetPublicKey,
  // signed with the default credential chain): only then is the chain loaded.
  assert.deepEqual(await sdkImports('anonymous-pull-authorizer'), { atLoad: [], onFirstUse: ['@aws-sdk/credential-provider-node'] });
});

test('each registry Lambda imports the S3 client only as its port set needs it', async () => {
  const checked = { table: 0, 'table-and-manifests': 0, 'table-and-blobs': 0 };
  for (const entry of entries) {
    const set = portSet(entry);
    if (!set) continue;
    checked[set as keyof typeof checked]++;
    const { atLoad, onFirstUse } = await sdkImports(entry);
    assert.ok(atLoad.includes('@aws-sdk/client-dynamodb'), `${entry} loads the DynamoDB client`);
    const s3AtLoad = atLoad.filter((p) => p.startsWith('@aws-sdk/client-s3') || p === '@aws-sdk/s3-request-presigner');
    if (set === 'table') {
      assert.deepEqual([s3AtLoad, onFirstUse], [[], []], `${entry} (table only) has no S3 client`);
    } else if (set === 'table-and-manifests') {
      assert.deepEqual(s3AtLoad, [], `${entry} does not load the S3 client at cold start`);
      assert.deepEqual(onFirstUse, ['@aws-sdk/client-s3'], `${entry} loads it for a manifest stored in the bucket`);
    } else {
      assert.deepEqual(s3AtLoad, ['@aws-sdk/client-s3'], `${entry} (blobs) loads the S3 client at cold start`);
      assert.ok(onFirstUse.includes('@aws-sdk/s3-request-presigner'), `${entry} loads the presigner only to serve a blob GET`);
    }
  }
  assert.ok(
    Object.values(checked).every((n) => n > 0),
    `every port set is checked: ${JSON.stringify(checked)}`,
  );
});
