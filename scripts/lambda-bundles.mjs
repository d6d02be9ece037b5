#!/usr/bin/env node
/**
 * Bundles every Lambda entry (lambdas/*.ts) with esbuild as the CDK stack's NodejsFunction does,
 * with the very options object the stack uses (lib/lambda-bundling.ts: the runtime's node target,
 * CommonJS, minified, tree-shaken, source maps, the AWS SDK left to the runtime) into a
 * temp dir whose node_modules links to this package's, so that a bundle requires the SDK from
 * there at cold start as it would require the runtime's own in Lambda (unminified, as there),
 * and prints each bundle's size and a locally measured cold init: a fresh `node` process per
 * sample loads the bundle as the Lambda runtime loads a handler (`require` for CommonJS,
 * `import()` for an ES module) (import time) and calls its handler once (first-call time) with a
 * HEAD-style event of its route, against S3/DynamoDB emulators started here (and a local
 * EventBridge endpoint for the stream consumer), so the first call includes building the SDK
 * clients, resolving credentials and the first connection. Medians of --runs samples.
 *
 * Needs the compiled tree (`npx tsc -p .`): the emulators and the EventBridge endpoint come from
 * dist/test/helpers. Local numbers are not Lambda's (its CPU share grows with memory, and its
 * init also loads the runtime), but they rank the bundles and catch regressions.
 *
 *   node scripts/lambda-bundles.mjs [--format esm|cjs] [--runs N] [--no-sourcemap]
 *                                   [--enable-source-maps] [--only NAME,...] [--keep] [--json]
 *                                   [--analyze] [--floor] [--sdk runtime|built]
 *
 * --json prints one JSON array of {name, bytes, coldStartMs, coldStartMinMs} and nothing else on
 * stdout (test/lambda/bundle-budget.test.ts reads it): bytes is the minified bundle, coldStartMs
 * the median import + first invocation, coldStartMinMs the fastest sample's (both null for
 * entries without an API route to call).
 *
 * --analyze prints esbuild's analysis of each bundle's metafile (what takes the bytes, and which
 * import brought it in) on stderr.
 *
 * --format bundles in another module format than the stack's (lib/lambda-bundling.ts), to compare.
 *
 * --enable-source-maps runs the samples with NODE_OPTIONS=--enable-source-maps, as the stack sets it.
 *
 * --floor adds rows for bare AWS SDK clients, bundled with the same options and measured the same
 * way: a handler that creates the client its Lambdas use and makes one call (a DynamoDB GetItem;
 * that and an S3 HeadObject; an EventBridge PutEvents), and no registry code. Their cold start is
 * the floor of every Lambda using those clients with the SDK left to the runtime; the difference
 * to a bundle's is what the registry's own code costs.
 *
 * --sdk built loads another SDK than the runtime's stand-in (node_modules): each `@aws-sdk/*`
 * package the bundles require, built by esbuild into one minified CommonJS file (from its ES
 * module build, with the names the measured bundles import from it, or every export for a package
 * one of them imports dynamically, and the default credential chain cut to `fromEnv`, which is
 * where Lambda puts the role's credentials), as a Lambda layer made by Stowage would ship it (the
 * stack has no such layer: this only measures what one would save). Prints each file's size on
 * stderr.
 */
import { analyzeMetafile, build } from 'esbuild';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const { values: args } = parseArgs({
  options: {
    format: { type: 'string' },
    runs: { type: 'string', default: '5' },
    'no-sourcemap': { type: 'boolean', default: false },
    'enable-source-maps': { type: 'boolean', default: false },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    analyze: { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false },
    sdk: { type: 'string', default: 'runtime' },
  },
});
const runs = Math.max(1, Number(args.runs) || 1);
const sourcemap = !args['no-sourcemap'];

const dist = join(root, 'dist');
for (const needed of [
  'lib/lambda-bundling.js',
  'test/helpers/aws-emulators.js',
  'test/helpers/eventbridge-endpoint.js',
  'src/adapters/aws/dynamodb-metadata-store.js',
  'src/core/routes.js',
]) {
  if (!existsSync(join(dist, needed))) {
    console.error(`lambda-bundles: dist/${needed} is missing; run \`npx tsc -p .\` first`);
    process.exit(1);
  }
}
const { ROUTES } = await import(join(dist, 'src/core/routes.js'));
// The stack's own esbuild options (lib/defaults.ts reads the same object).
const { LAMBDA_ESBUILD_OPTIONS } = await import(join(dist, 'lib/lambda-bundling.js'));
// --format esm|cjs: another module format than the stack's, to compare (an ES module bundle needs
// a `require` for the CommonJS code it carries and the SDK it leaves external).
const format = args.format ?? LAMBDA_ESBUILD_OPTIONS.format;
const ESM_REQUIRE_BANNER = "import { createRequire as __stowageCreateRequire } from 'node:module'; const require = __stowageCreateRequire(import.meta.url);";
const { startAwsEmulators } = await import(join(dist, 'test/helpers/aws-emulators.js'));
const { startRecordingEventBridgeEndpoint } = await import(join(dist, 'test/helpers/eventbridge-endpoint.js'));
const { createTable } = await import(join(dist, 'src/adapters/aws/dynamodb-metadata-store.js'));
const { CreateBucketCommand } = await import('@aws-sdk/client-s3');

// ---------------------------------------------------------------------------------------------
// Bundling

let entries = (await readdir(join(root, 'lambdas')))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => basename(f, '.ts'))
  .sort();
if (args.only) entries = entries.filter((e) => args.only.split(',').includes(e));
if (!['runtime', 'built'].includes(args.sdk)) {
  console.error(`lambda-bundles: --sdk runtime|built, not ${args.sdk}`);
  process.exit(1);
}
const out = await mkdtemp(join(tmpdir(), 'stowage-lambda-bundles-'));
const extension = format === 'esm' ? 'mjs' : 'js';

async function bundle(name, entryPoint = join(root, 'lambdas', `${name}.ts`)) {
  const outfile = join(out, name, `index.${extension}`);
  const result = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    format,
    ...(format === 'esm' && { banner: { js: ESM_REQUIRE_BANNER } }),
    sourcemap,
    entryPoints: [entryPoint],
    outfile,
    metafile: true,
    logLevel: 'warning',
  });
  if (args.analyze) console.error(`\n${name}\n${await analyzeMetafile(result.metafile)}`);
  const code = await readFile(outfile);
  const external = args.sdk === 'built' ? await sdkImports(entryPoint) : [];
  return { name, outfile, external, bytes: code.length, gzip: gzipSync(code, { level: 9 }).length, map: sourcemap ? (await stat(`${outfile}.map`)).size : 0 };
}

// --floor: bare SDK clients, one call each, no registry code (the key attribute names are the table's).
const KEYS = JSON.stringify(join(root, 'src/adapters/aws/dynamodb-keys.ts'));
const DYNAMODB_GET = `
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ATTR } from ${KEYS};
const getItem = (client) => client.send(new GetItemCommand({ TableName: process.env.STOWAGE_DYNAMODB_TABLE, Key: { [ATTR.pk]: { S: 'floor' }, [ATTR.sk]: { S: 'floor' } }, ConsistentRead: true }));
`;
const FLOORS = {
  'floor:dynamodb': `${DYNAMODB_GET}
let dynamodb;
export const handler = async () => ({ statusCode: (await getItem((dynamodb ??= new DynamoDBClient({})))).Item ? 200 : 404 });
`,
  'floor:dynamodb+s3': `${DYNAMODB_GET}
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
let dynamodb, s3;
export const handler = async () => {
  await getItem((dynamodb ??= new DynamoDBClient({})));
  s3 ??= new S3Client({ forcePathStyle: process.env.STOWAGE_S3_FORCE_PATH_STYLE === '1' });
  const head = await s3.send(new HeadObjectCommand({ Bucket: process.env.STOWAGE_S3_BUCKET, Key: 'floor' })).catch((e) => e);
  return { statusCode: head.$metadata?.httpStatusCode ?? 500 };
};
`,
  'floor:eventbridge': `
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
let events;
export const handler = async () => {
  const { FailedEntryCount } = await (events ??= new EventBridgeClient({})).send(new PutEventsCommand({ Entries: [{ EventBusName: process.env.STOWAGE_EVENT_BUS, Source: 'floor', DetailType: 'floor', Detail: '{}' }] }));
  return { statusCode: FailedEntryCount ? 500 : 200 };
};
`,
};

async function bundleFloor(name) {
  const source = join(out, `${name.replace(/[^a-z0-9]+/gi, '-')}.mjs`);
  await writeFile(source, FLOORS[name]);
  return bundle(name, source);
}

// ---------------------------------------------------------------------------------------------
// The SDK the bundles leave external (LAMBDA_EXTERNAL_MODULES): loaded at cold start from
// <out>/node_modules, and counted in it.

/**
 * The `@aws-sdk/*` names a bundle imports, as [package, name | '*'] pairs: esbuild's unminified
 * ES module output of the same entry names them in its `import { ... } from` lines after tree
 * shaking; a dynamic `import()` or a namespace import needs the whole package.
 */
async function sdkImports(entryPoint) {
  const { outputFiles } = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    format: 'esm',
    minify: false,
    sourcemap: false,
    supported: {},
    entryPoints: [entryPoint],
    write: false,
    outdir: out,
    logLevel: 'error',
  });
  const code = outputFiles.map((f) => f.text).join('\n');
  const pairs = [];
  for (const [, names, pkg] of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*"(@aws-sdk\/[^"]+)"/g)) {
    for (const n of names.split(',')) if (n.trim()) pairs.push([pkg, n.trim().split(/\s+as\s+/)[0]]);
  }
  for (const [, pkg] of code.matchAll(/(?:import\s*\*\s*as\s+\w+\s*from\s*|import\s+\w+\s+from\s*|import\()\s*"(@aws-sdk\/[^"]+)"/g)) pairs.push([pkg, '*']);
  return pairs;
}

async function linkSdk(bundles) {
  if (args.sdk === 'runtime') return symlink(join(root, 'node_modules'), join(out, 'node_modules'), 'dir');
  const names = new Map();
  for (const [pkg, name] of bundles.flatMap((b) => b.external)) names.set(pkg, (names.get(pkg) ?? new Set()).add(name));
  const packages = [...names.keys()].sort();
  const credentials = join(out, 'credentials-from-env.mjs');
  await writeFile(credentials, "export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';\n");
  for (const pkg of packages) {
    const dir = join(out, 'node_modules', pkg);
    await build({
      stdin: { contents: names.get(pkg).has('*') ? `export * from '${pkg}';` : `export { ${[...names.get(pkg)].join(', ')} } from '${pkg}';`, resolveDir: root, loader: 'js' },
      bundle: true,
      platform: 'node',
      target: LAMBDA_ESBUILD_OPTIONS.target,
      format: 'cjs',
      minify: true,
      mainFields: ['module', 'main'],
      alias: { '@aws-sdk/credential-provider-node': credentials },
      // As in the bundles: the SDK's own lazy `import()`s (node:http on the first request) become `require`s.
      supported: LAMBDA_ESBUILD_OPTIONS.supported,
      nodePaths: [join(root, 'node_modules')],
      legalComments: 'external',
      outfile: join(dir, 'index.js'),
      logLevel: 'warning',
    });
    await writeFile(join(dir, 'package.json'), '{"main":"index.js"}\n');
    console.error(`sdk built: ${pkg} ${(await stat(join(dir, 'index.js'))).size} bytes (${names.get(pkg).has('*') ? 'every export' : [...names.get(pkg)].join(', ')})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Events: one HEAD-style request per operation (HEAD where the route has one), on the route's path.

function samplePath(path) {
  return path
    .replace('{name}', 'bench/app')
    .replace('{reference}', 'latest')
    .replace('{digest}', `sha256:${'0'.repeat(64)}`)
    .replace('{uuid}', randomUUID());
}

function proxyEvent(method, path) {
  return {
    resource: path,
    path,
    httpMethod: method,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { path: `/prod${path}`, stage: 'prod', requestId: randomUUID(), httpMethod: method },
  };
}

async function eventFor(name) {
  if (name in FLOORS) return {};
  if (name === 'stream-events') {
    const fixture = JSON.parse(await readFile(join(root, 'test/fixtures/dynamodb-stream/push-tagged.json'), 'utf8'));
    return fixture.records;
  }
  const routes = ROUTES.filter((r) => r.operation === name);
  if (routes.length === 0) return null;
  const route = routes.find((r) => r.method === 'HEAD') ?? routes[0];
  return proxyEvent(route.method, samplePath(route.path));
}

// ---------------------------------------------------------------------------------------------
// Cold init: a fresh node per sample.

const RUNNER = `
const [bundle, eventFile] = process.argv.slice(2);
const { readFileSync } = await import('node:fs');
const { pathToFileURL } = await import('node:url');
const loaded = JSON.parse(readFileSync(eventFile, 'utf8'));
const event = Array.isArray(loaded) ? { Records: loaded } : loaded;
const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 30000 };
const log = console.log;
console.log = () => {}; // the handlers' request-log lines
const { createRequire } = await import('node:module');
const cpu0 = process.cpuUsage();
const t0 = performance.now();
// As the Lambda runtime loads a handler: \`require\` for a CommonJS file, \`import()\` for an ES module.
const mod = bundle.endsWith('.mjs') ? await import(pathToFileURL(bundle).href) : createRequire(bundle)(bundle);
const t1 = performance.now();
const result = await mod.handler(event, context);
const t2 = performance.now();
const cpu = process.cpuUsage(cpu0);
await mod.handler(event, context);
const t3 = performance.now();
const status = result?.statusCode ?? (result?.batchItemFailures ? 'failures:' + result.batchItemFailures.length : '?');
log('STOWAGE_BENCH ' + JSON.stringify({ importMs: t1 - t0, firstCallMs: t2 - t1, cpuMs: (cpu.user + cpu.system) / 1000, secondCallMs: t3 - t2, status }));
`;

function sample(runner, outfile, eventFile, env) {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [runner, outfile, eventFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('STOWAGE_BENCH '));
      if (code !== 0 || !line) return reject(new Error(`${outfile}: exit ${code}\n${stderr.slice(-2000)}`));
      resolvePromise({ ...JSON.parse(line.slice('STOWAGE_BENCH '.length)), processMs: performance.now() - started });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---------------------------------------------------------------------------------------------

const emulators = await startAwsEmulators();
const eventBridge = await startRecordingEventBridgeEndpoint();
try {
  const bucket = `bench-${randomUUID().slice(0, 8)}`;
  await emulators.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await createTable(emulators.dynamodb, 'stowage-bench');
  const env = {
    PATH: process.env.PATH,
    ...emulators.env,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.url,
    STOWAGE_S3_BUCKET: bucket,
    STOWAGE_DYNAMODB_TABLE: 'stowage-bench',
    STOWAGE_S3_FORCE_PATH_STYLE: '1',
    STOWAGE_EVENT_BUS: 'bench-bus',
    ...(args['enable-source-maps'] && { NODE_OPTIONS: '--enable-source-maps' }),
  };
  const runner = join(out, 'runner.mjs');
  await writeFile(runner, RUNNER);

  const bundles = [];
  for (const name of [...entries, ...(args.floor ? Object.keys(FLOORS) : [])]) bundles.push(name in FLOORS ? await bundleFloor(name) : await bundle(name));
  await linkSdk(bundles);

  const rows = [];
  for (const { external: _, ...bundled } of bundles) {
    const { name } = bundled;
    const event = await eventFor(name);
    let timing = null;
    if (event) {
      const eventFile = join(out, name, 'event.json');
      await writeFile(eventFile, JSON.stringify(event));
      const samples = [];
      for (let i = 0; i < runs; i++) samples.push(await sample(runner, bundled.outfile, eventFile, env));
      timing = {
        request: Array.isArray(event)
          ? `${event.length} stream records`
          : name in FLOORS
            ? 'one SDK call'
            : `${event.httpMethod} ${event.path.replace(/sha256:0+/, 'sha256:0…').replace(/[0-9a-f-]{36}$/, '<uuid>')}`,
        status: samples[0].status,
        importMs: median(samples.map((s) => s.importMs)),
        firstCallMs: median(samples.map((s) => s.firstCallMs)),
        secondCallMs: median(samples.map((s) => s.secondCallMs)),
        cpuMs: median(samples.map((s) => s.cpuMs)),
        coldStartMinMs: Math.min(...samples.map((s) => s.importMs + s.firstCallMs)),
        processMs: median(samples.map((s) => s.processMs)),
      };
    }
    rows.push({ ...bundled, timing });
  }

  if (args.json) {
    const coldStart = (t) => (t ? Math.round((t.importMs + t.firstCallMs) * 10) / 10 : null);
    const tenth = (ms) => Math.round(ms * 10) / 10;
    console.log(
      JSON.stringify(rows.map((r) => ({ name: r.name, bytes: r.bytes, coldStartMs: coldStart(r.timing), coldStartMinMs: r.timing ? tenth(r.timing.coldStartMinMs) : null }))),
    );
  } else {
    const kib = (n) => (n / 1024).toFixed(0);
    const ms = (n) => n.toFixed(1);
    console.log(
      `Lambda bundles (${format}, ${LAMBDA_ESBUILD_OPTIONS.target}, minified${sourcemap ? ', + source map' : ''}; the AWS SDK ${args.sdk === 'runtime' ? 'from node_modules, as the runtime ships it' : 'built by esbuild, one minified file per package (--sdk built)'}; cold init: median of ${runs} fresh node ${process.version} processes${args['enable-source-maps'] ? ' with --enable-source-maps' : ''})\n`,
    );
    console.log('| entry | bundle KiB | gzip KiB | map KiB | first request | status | import ms | first call ms | cpu ms | 2nd call ms | process ms |');
    console.log('|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      const t = r.timing;
      console.log(
        `| ${r.name} | ${kib(r.bytes)} | ${kib(r.gzip)} | ${kib(r.map)} | ${t ? t.request : '-'} | ${t ? t.status : '-'} | ${t ? ms(t.importMs) : '-'} | ${t ? ms(t.firstCallMs) : '-'} | ${t ? ms(t.cpuMs) : '-'} | ${t ? ms(t.secondCallMs) : '-'} | ${t ? ms(t.processMs) : '-'} |`,
      );
    }
    console.log(
      `\nimport: loading and evaluating the bundle; first call: the first invocation (SDK clients, credentials, first connection to the local emulators); cpu: the process's CPU time (user + system, all threads) over import and first call, less sensitive than wall time to a loaded machine; process: spawn to exit.${args.keep ? `\nbundles kept in ${out}` : ''}`,
    );
  }
} finally {
  await eventBridge.close();
  await emulators.stop();
  if (!args.keep) await rm(out, { recursive: true, force: true });
}
