/**
 * Synthesis for the CDK tests: offline and fast. Bundling is skipped (`aws:cdk:bundling-stacks`
 * is empty, so NodejsFunction and the edge function stage their sources without esbuild) and
 * CDK's built-in CloudFormation validation is off here; test/cdk/synth.test.ts runs the real
 * `cdk synth` once, with bundling and validation as errors.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StowageStack, type StowageStackProps } from '../../lib/stack.js';
import type { StowageRegistryProps } from '../../lib/props.js';

process.env.CDK_VALIDATION = 'false';

/**
 * Stacks get a region but no account: with both, the VPC would look up Availability Zones in
 * the account (an AWS call); region-only stacks use Fn::GetAZs, as `cdk synth` does without credentials.
 */

export interface Synthesized {
  stack: StowageStack;
  template: Template;
  /** The template as JSON. */
  json: {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
    Outputs?: Record<string, unknown>;
  };
}

export function synth(
  options: { region?: string; registry?: StowageRegistryProps | ((scope: import('constructs').Construct) => StowageRegistryProps); stack?: Partial<StowageStackProps> } = {},
): Synthesized {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new StowageStack(app, 'Stowage', {
    env: { region: options.region ?? 'eu-west-1' },
    ...(options.registry && { registry: options.registry }),
    ...options.stack,
  });
  const template = Template.fromStack(stack);
  return { stack, template, json: template.toJSON() as Synthesized['json'] };
}

const cache = new Map<string, Synthesized>();
/** Synthesis with plain (JSON-able) props, shared by the tests of one file. */
export function synthCached(registry: StowageRegistryProps = {}, region = 'eu-west-1'): Synthesized {
  const key = JSON.stringify({ registry, region });
  let s = cache.get(key);
  if (!s) {
    s = synth({ registry, region });
    cache.set(key, s);
  }
  return s;
}

export function resourcesOfType(json: Synthesized['json'], type: string): [string, Record<string, unknown>][] {
  return Object.entries(json.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

/** Logical id of the resource whose construct path ends with `suffix` (ids are hashed; paths are not). */
export function logicalIdByPath(s: Synthesized, suffix: string): string {
  const found = s.stack.node.findAll().filter((c) => c.node.path.endsWith(suffix) && (c as { cfnResourceType?: string }).cfnResourceType !== undefined);
  if (found.length !== 1) throw new Error(`expected one resource at *${suffix}, found ${found.length}`);
  return s.stack.getLogicalId(found[0] as import('aws-cdk-lib').CfnElement);
}

/** Every statement of every IAM policy attached to the role of the function at path `.../<name>`. */
export function roleStatements(s: Synthesized, functionPathSuffix: string): { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown }[] {
  const fnId = logicalIdByPath(s, `${functionPathSuffix}/Resource`);
  const fn = s.json.Resources[fnId];
  const roleRef = (fn!.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(s.json.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties!.Roles as { Ref: string }[]).some((x) => x.Ref === roleRef))
    .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: never[] }).Statement);
}

export function actionsOf(statements: { Action: string | string[] }[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}
