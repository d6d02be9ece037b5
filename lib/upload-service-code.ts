/**
 * The upload service's code without a container build: `stowage serve` bundled by esbuild into
 * one ES module at synthesis (the way NodejsFunction bundles the Lambdas), uploaded as a file
 * asset to the CDK bootstrap bucket, and run on the stock Node.js image from ECR Public. An
 * init container (the AWS CLI image, also from ECR Public, multi-arch) copies the file into a
 * volume the server container mounts read-only. So `cdk deploy` needs neither Docker nor QEMU,
 * on x86 and ARM hosts alike, and the account needs no ECR repository of its own.
 *
 * The server's SQLite store (better-sqlite3, native) is bundled as JavaScript only: it loads its
 * binary when an SQLite store is opened, which the upload service (DynamoDB metadata) never does.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';

/** Node.js major of the server image: the Lambdas' runtime (lib/lambda-bundling.ts), so both run the same Node. */
import { LAMBDA_RUNTIME_NAME } from './lambda-bundling.js';

const NODE_MAJOR = LAMBDA_RUNTIME_NAME.replace(/^nodejs(\d+)\.x$/, '$1');
/** Docker Hub's official Node.js image, mirrored on ECR Public (no Docker Hub pull limits from AWS). */
export const SERVER_IMAGE = `public.ecr.aws/docker/library/node:${NODE_MAJOR}-bookworm-slim`;
/** The AWS CLI v2 image, which copies the bundle from S3 before the server starts. */
export const FETCH_IMAGE = 'public.ecr.aws/aws-cli/aws-cli:2.27.0';
export const BUNDLE_FILE = 'stowage-server.mjs';

const REQUIRE_BANNER = "import { createRequire as __stowageCreateRequire } from 'node:module'; const require = __stowageCreateRequire(import.meta.url);";

/** esbuild options of the server bundle (the AWS SDK's full credential chain stays: the task role comes from the container endpoint). */
export const SERVER_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node' as const,
  target: `node${NODE_MAJOR}`,
  format: 'esm' as const,
  minify: true,
  sourcemap: 'inline' as const,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  banner: { js: REQUIRE_BANNER },
  logLevel: 'warning' as const,
};

/**
 * The bundle as a file asset. When the stack skips bundling (`cdk synth --exclusively` of
 * another stack, or tests that set `aws:cdk:bundling-stacks` to none) a placeholder stands in,
 * as NodejsFunction does.
 */
export function serverBundleAsset(scope: Construct, id: string, projectRoot: string): s3assets.Asset {
  return new s3assets.Asset(scope, id, { path: Stack.of(scope).bundlingRequired ? buildServerBundle(projectRoot) : bundleFile('// bundling skipped for this stack\n') });
}

/** Bundles `stowage` with esbuild; returns the file's path (under the OS temp directory, named by content). */
export function buildServerBundle(projectRoot: string): string {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({ ...SERVER_ESBUILD_OPTIONS, entryPoints: [join(projectRoot, 'src', 'cli', 'bundle-entry.ts')], write: false });
  return bundleFile(result.outputFiles[0]!.text);
}

function bundleFile(code: string): string {
  const dir = join(tmpdir(), 'stowage-server-bundle');
  mkdirSync(dir, { recursive: true });
  // One file per content, so parallel syntheses never overwrite each other's asset.
  const file = join(dir, `${createHash('sha256').update(code).digest('hex').slice(0, 16)}-${BUNDLE_FILE}`);
  if (!existsSync(file) || readFileSync(file, 'utf8') !== code) writeFileSync(file, code);
  return file;
}

/** The server container's command: the bundle, as `stowage serve`. */
export const SERVER_COMMAND = ['node', '--enable-source-maps', `/app/${BUNDLE_FILE}`, 'serve'];

/**
 * Adds the init container that copies the bundle into the `appVolume`, mounts that volume
 * read-only in the server container and makes the server wait for the copy. The init container
 * also hands the data directory to the `node` user (uid 1000), as the Dockerfile does, since
 * Fargate volumes start owned by root.
 */
export function addBundleFetch(
  taskDefinition: ecs.FargateTaskDefinition,
  server: ecs.ContainerDefinition,
  asset: s3assets.Asset,
  options: { appVolume: string; dataVolume: string; logging: ecs.LogDriver },
): void {
  // The one object, not asset.grantRead's wildcards over the bootstrap bucket.
  taskDefinition.addToTaskRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [asset.bucket.arnForObjects(asset.s3ObjectKey)] }));
  const fetch = taskDefinition.addContainer('fetch-server', {
    image: ecs.ContainerImage.fromRegistry(FETCH_IMAGE),
    essential: false,
    entryPoint: ['sh', '-c'],
    command: [`aws s3 cp --only-show-errors s3://${asset.s3BucketName}/${asset.s3ObjectKey} /app/${BUNDLE_FILE} && chown 1000:1000 /data`],
    // The bootstrap bucket is in the stack's region; say so rather than rely on the platform's variables.
    environment: { AWS_REGION: Stack.of(taskDefinition).region, AWS_DEFAULT_REGION: Stack.of(taskDefinition).region },
    logging: options.logging,
    readonlyRootFilesystem: false,
  });
  fetch.addMountPoints({ containerPath: '/app', sourceVolume: options.appVolume, readOnly: false }, { containerPath: '/data', sourceVolume: options.dataVolume, readOnly: false });
  server.addMountPoints({ containerPath: '/app', sourceVolume: options.appVolume, readOnly: true });
  server.addContainerDependencies({ container: fetch, condition: ecs.ContainerDependencyCondition.SUCCESS });
}
