/**
 * How every Lambda entry (lambdas/*.ts) is bundled: the one statement of the esbuild options,
 * read by the stack (defaults.ts turns it into NodejsFunction's `bundling` props) and by
 * scripts/lambda-bundles.mjs, which measures the bundle budget on exactly what the stack deploys.
 * Written in esbuild's own API shape so the script passes it to `build` unchanged.
 *
 * Node.js 24 (LAMBDA_RUNTIME_NAME), CommonJS, minified and tree-shaken, source maps without
 * sources, `module` before `main` (ES builds shake better).
 *
 * The AWS SDK (`@aws-sdk/*`, LAMBDA_EXTERNAL_MODULES) is left to the one the Lambda runtime ships,
 * as NodejsFunction does by default on Node.js >= 18. Issue 9's budget (median bundle <= 250 KB,
 * none above 400 KB) cannot be met with it bundled, however trimmed: the DynamoDB client alone,
 * tree-shaken and minified, is about 200 KB, and with the S3 client about 371 KB, before any
 * registry code (measured 2026-12-02, SDK 3.1169/3.1175). Cutting what a Lambda never needs does
 * not close the gap: aliasing the default credential chain to `fromEnv` (Lambda always passes the
 * role's credentials in the environment) takes a DynamoDB-only bundle from 502 to 366 KB and an
 * S3 one (getBlob) from 730 to 622 KB, and stubbing the event-stream codec saves 20 KB more; the rest is the
 * clients' own protocol, schema, endpoint and retry code. The price of leaving it out: the SDK
 * version running in Lambda is the runtime's, not package-lock.json's (it moves when AWS updates
 * the runtime; docs/deploy.md), and the runtime loads it unminified, which is most of a cold
 * start (scripts/lambda-bundles.mjs measures cold starts with it loaded from node_modules, as the
 * runtime loads its own). `@smithy/*` stays bundled: the runtime does not promise it to function
 * code.
 *
 * So this choice also sets the floor of every cold start: a bare DynamoDB client making one GetItem
 * with no registry code (`scripts/lambda-bundles.mjs --floor`) costs about issue 9's whole cold-start
 * budget (150 ms, import + first call) by itself, its `require` alone 106-141 ms on a quiet machine,
 * and the registry bundles add a few tens of milliseconds of their own. Bundling the SDK in saves
 * part of that and breaks the size budget; the SDK built into one minified, tree-shaken file per
 * package outside the bundles (`--sdk built`, what a layer of our own would ship) saves about a
 * third for the DynamoDB-only Lambdas, an eighth with S3: not enough yet (figures and a profile:
 * the cold-start todo in test/lambda/bundle-budget.test.ts, measured 2026-12-02).
 *
 * CommonJS rather than ESM for that load: the runtime `require`s a CommonJS handler, and the
 * handler `require`s the SDK's CommonJS files directly. An ES module bundle makes Node load each
 * of them through the ES module loader instead, which first scans every CommonJS file for its
 * export names (cjs-module-lexer) and checks its format: about a third of the import of an S3
 * Lambda and a fifth of a DynamoDB-only one (CPU time, A/B in the same minute, 2026-12-02). For
 * the same reason the SDK clients imported on first use are `require`d then (`supported`), not
 * `import()`ed.
 */

/** Packages every Lambda bundle imports at run time from the runtime instead of carrying them. */
export const LAMBDA_EXTERNAL_MODULES: readonly string[] = ['@aws-sdk/*'];

/** The Lambda runtime of every regional function (./defaults.ts builds the CDK Runtime from it). */
export const LAMBDA_RUNTIME_NAME = 'nodejs24.x';

/** The esbuild options of every Lambda bundle, minus entry point and output. */
export const LAMBDA_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node' as const,
  target: LAMBDA_RUNTIME_NAME.replace(/^nodejs(\d+)\.x$/, 'node$1'),
  format: 'cjs' as const,
  minify: true,
  treeShaking: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  external: [...LAMBDA_EXTERNAL_MODULES],
  // A lazily imported SDK client (the S3 client of the manifest Lambdas, the presigner) is
  // `require`d too when first used, not `import()`ed through the ES module loader.
  supported: { 'dynamic-import': false },
  // Licence comments go to a `<bundle>.LEGAL.txt` beside the bundle (shipped in the same asset)
  // rather than at its end, where Node would read them at every cold start.
  legalComments: 'external' as const,
};
