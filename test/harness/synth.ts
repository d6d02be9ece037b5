/**
 * Synthesizes the real stack (lib/stack.ts, the one `cdk deploy` deploys) in this process, with
 * bundling skipped as test/cdk does, and reads what the harness cannot get from the template
 * alone: which source file each Lambda function runs. NodejsFunction keeps its entry only in
 * its asset's bundling options (the template has the asset's hash), so that is where it is read;
 * if aws-cdk-lib ever stops keeping it there, synthesis fails here with a message that says so.
 */
import { join, relative, resolve, sep } from 'node:path';
import { App, type CfnResource as CdkCfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Construct, IConstruct } from 'constructs';
import { StowageStack } from '../../lib/stack.js';
import { PACKAGE_ROOT } from '../../lib/stowage-registry.js';
import type { StowageRegistryProps } from '../../lib/props.js';
import type { CfnTemplate } from './cfn.js';

export interface FunctionSource {
  /** Construct path, e.g. `Stowage/Registry/Operations/getBlob`. */
  constructPath: string;
  /** The TypeScript entry, relative to the package root: `lambdas/getBlob.ts`. */
  entry: string;
  /** The compiled module the harness imports: `<root>/dist/lambdas/getBlob.js`. */
  compiledModule: string;
}

export interface SynthesizedStack {
  readonly stack: StowageStack;
  readonly template: CfnTemplate;
  readonly region: string;
  /** Source of a Lambda function by logical id; throws when it cannot be found. */
  functionSource(logicalId: string): FunctionSource;
}

export interface SynthOptions {
  /** The registry's props (as `cdk deploy` would get them from context). @default {} */
  registry?: StowageRegistryProps;
  /** @default eu-west-1 (so the Lambda@Edge function lives in its us-east-1 stack, as in most deployments) */
  region?: string;
}

/** Synthesizes the stack. About a second; the harness caches the result per props. */
export function synthesizeStack(options: SynthOptions = {}): SynthesizedStack {
  const region = options.region ?? 'eu-west-1';
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new StowageStack(app, 'Stowage', { env: { region }, ...(options.registry && { registry: options.registry }) });
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    const sources = new Map<string, FunctionSource | Error>();
    for (const c of stack.node.findAll()) {
      if ((c as CdkCfnResource).cfnResourceType !== 'AWS::Lambda::Function') continue;
      const id = stack.getLogicalId(c as CdkCfnResource);
      const fn = c.node.scope as Construct;
      try {
        sources.set(id, sourceOf(fn));
      } catch (err) {
        sources.set(id, err as Error);
      }
    }
    return {
      stack,
      template,
      region,
      functionSource(logicalId) {
        const got = sources.get(logicalId);
        if (!got) throw new Error(`harness: no Lambda function ${logicalId} in the stack`);
        if (got instanceof Error) throw got;
        return got;
      },
    };
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
}

/** The asset staging's bundling options of a NodejsFunction hold `props.entry`. */
function sourceOf(fn: IConstruct): FunctionSource {
  const stage = fn.node.tryFindChild('Code')?.node.tryFindChild('Stage') as { fingerprintOptions?: { bundling?: { props?: { entry?: unknown } } } } | undefined;
  const entry = stage?.fingerprintOptions?.bundling?.props?.entry;
  if (typeof entry !== 'string') {
    throw new Error(
      `harness: cannot tell which source file ${fn.node.path} runs: its asset (Code/Stage) has no NodejsFunction bundling entry. ` +
        'aws-cdk-lib may have changed where it keeps it; record the entry in construct metadata (lib/harness-metadata.ts) instead.',
    );
  }
  const root = resolve(PACKAGE_ROOT);
  const rel = relative(root, resolve(entry));
  if (rel.startsWith('..') || !/\.ts$/.test(rel)) throw new Error(`harness: ${fn.node.path} runs ${entry}, outside this package or not TypeScript`);
  return { constructPath: fn.node.path, entry: rel.split(sep).join('/'), compiledModule: join(root, 'dist', rel.replace(/\.ts$/, '.js')) };
}
