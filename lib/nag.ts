/**
 * cdk-nag acknowledgements: each construct acknowledges, beside the resource it creates, the
 * AwsSolutions findings that are its design rather than a mistake, with the reason. The pack
 * itself runs in test/cdk/nag.test.ts, which fails on any finding not acknowledged this way.
 *
 * cdk-nag 3 reads CDK's own acknowledgement metadata (`Validations.of(scope).acknowledge`),
 * walking up from each resource, so acknowledging on a construct covers what it contains.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Rule id -> why the finding is acceptable here. */
export type NagReasons = Readonly<Record<string, string>>;

/** Acknowledges each rule on `scope` and everything under it. */
export function acknowledge(scope: IConstruct, reasons: NagReasons): void {
  for (const [id, reason] of Object.entries(reasons)) Validations.of(scope).acknowledge({ id, reason });
}

/** The token cdk-nag writes for a resource's attribute in a granular finding: `<LogicalId.Attr>`. */
export function nagAttributeToken(resource: IConstruct, attribute: string): string {
  const cfn = resource.node.defaultChild as import('aws-cdk-lib').CfnElement;
  return `<${Stack.of(resource).getLogicalId(cfn)}.${attribute}>`;
}
