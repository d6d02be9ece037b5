/**
 * How every Lambda entry (lambdas/*.ts) is bundled: the one statement of the esbuild options,
 * read by the stack (defaults.ts turns it into NodejsFunction's `bundling` props) and by
 * scripts/lambda-bundles.mjs, which measures the bundle budget on exactly what the stack deploys.
 * Written in esbuild's own API shape so the script passes it to `build` unchanged.
 *
 * Node.js 24 (LAMBDA_RUNTIME_NAME), ESM (with a `require` for the CommonJS dependencies), minified and tree-shaken,
 * source maps without sources, `module` before `main` (ES builds shake better).
 *
 * The AWS SDK (`@aws-sdk/*`, LAMBDA_EXTERNAL_MODULES) is left to the one the Lambda runtime ships,
 * as NodejsFunction does by default on Node.js >= 18. Issue 9's budget (median bundle <= 250 KB,
 * none above 400 KB) cannot be met with it bundled: the DynamoDB client alone, tree-shaken and
 * minified, is about 200 KB, and with the S3 client about 371 KB, before any registry code
 * (measured 2026-12-02, SDK 3.1169/3.1175). The price: the SDK version running in Lambda is the
 * runtime's, not package-lock.json's (it moves when AWS updates the runtime; docs/deploy.md), and
 * the runtime loads it unminified (scripts/lambda-bundles.mjs measures cold starts with it loaded
 * from node_modules, as the runtime loads its own). `@smithy/*` stays bundled: the runtime does not
 * promise it to function code.
 */

/** ESM bundles that contain CommonJS dependencies need a `require`. */
const REQUIRE_BANNER = "import { createRequire as __stowageCreateRequire } from 'node:module'; const require = __stowageCreateRequire(import.meta.url);";

/** Packages every Lambda bundle imports at run time from the runtime instead of carrying them. */
export const LAMBDA_EXTERNAL_MODULES: readonly string[] = ['@aws-sdk/*'];

/** The Lambda runtime of every regional function (./defaults.ts builds the CDK Runtime from it). */
export const LAMBDA_RUNTIME_NAME = 'nodejs24.x';

/** The esbuild options of every Lambda bundle, minus entry point and output. */
export const LAMBDA_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node' as const,
  target: LAMBDA_RUNTIME_NAME.replace(/^nodejs(\d+)\.x$/, 'node$1'),
  format: 'esm' as const,
  minify: true,
  treeShaking: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  external: [...LAMBDA_EXTERNAL_MODULES],
  banner: { js: REQUIRE_BANNER },
};
