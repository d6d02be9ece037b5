/**
 * How every Lambda entry (lambdas/*.ts) is bundled: the one statement of the esbuild options,
 * read by the stack (defaults.ts turns it into NodejsFunction's `bundling` props) and by
 * scripts/lambda-bundles.mjs, which measures the bundle budget on exactly what the stack deploys.
 * Written in esbuild's own API shape so the script passes it to `build` unchanged.
 *
 * Node.js 24 (LAMBDA_RUNTIME_NAME), ESM (with a `require` for the CommonJS dependencies), minified and tree-shaken,
 * source maps without sources, `module` before `main` (ES builds shake better), and the AWS SDK
 * bundled too rather than taken from the runtime: pinned by package-lock.json, tree-shaken, one
 * less cold-start lookup.
 *
 * Aliases: `@aws-sdk/credential-provider-node`, the SDK's whole default credential chain, is
 * replaced by src/shells/lambda/env-credentials.ts (the environment only; see why there).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (this file runs as dist/lib/lambda-bundling.js). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** ESM bundles that contain CommonJS dependencies need a `require`. */
const REQUIRE_BANNER = "import { createRequire as __stowageCreateRequire } from 'node:module'; const require = __stowageCreateRequire(import.meta.url);";

/** Package -> absolute path of the module that replaces it in every Lambda bundle. */
export const LAMBDA_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': join(PACKAGE_ROOT, 'src', 'shells', 'lambda', 'env-credentials.ts'),
};

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
  external: [] as string[],
  banner: { js: REQUIRE_BANNER },
  alias: LAMBDA_ALIASES,
};
