#!/usr/bin/env node
/**
 * The CDK app `cdk deploy` runs (cdk.json: node dist/bin/cdk-app.js): one StowageStack with
 * props from `stowage:*` context (lib/context.ts lists the keys; docs/deploy.md explains them).
 * With `-c stowage:waf=true` a web ACL is created in us-east-1: in the registry's stack when it
 * is there, otherwise in a small `<stackName>WebAcl` stack whose ARN crosses regions by reference.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { readContext, registryPropsFromContext } from '../lib/context.js';
import { ProviderLogRetention } from '../lib/log-retention.js';
import { StowageStack } from '../lib/stack.js';
import { StowageWebAcl } from '../lib/waf.js';

const app = new App();
const context = readContext(app.node.getAllContext() as Record<string, unknown>);
const region = String(context.region ?? process.env.CDK_DEFAULT_REGION ?? 'us-east-1');
const account = context.account !== undefined ? String(context.account) : process.env.CDK_DEFAULT_ACCOUNT;
const env = { region, ...(account && { account }) };
const stackName = String(context.stackName ?? 'Stowage');
const waf = context.waf === true;
const wafProps = context.wafRateLimit !== undefined ? { rateLimit: Number(context.wafRateLimit) } : {};
const crossRegionWaf = waf && region !== 'us-east-1';

let webAclArn: string | undefined;
if (crossRegionWaf) {
  const edge = new Stack(app, `${stackName}WebAcl`, { env: { ...env, region: 'us-east-1' }, crossRegionReferences: true });
  webAclArn = new StowageWebAcl(edge, 'WebAcl', wafProps).webAclArn;
  Aspects.of(edge).add(new ProviderLogRetention((context.logRetentionDays as logs.RetentionDays | undefined) ?? logs.RetentionDays.ONE_MONTH));
}

new StowageStack(app, stackName, {
  env,
  crossRegionReferences: crossRegionWaf,
  description: 'Stowage OCI registry: CloudFront, API Gateway + Lambda, Fargate upload service, S3, DynamoDB, Cognito, EventBridge',
  ...(waf && !crossRegionWaf && { webAcl: wafProps }),
  registry: (scope) => ({ ...registryPropsFromContext(scope, context), ...(webAclArn && { webAclArn }) }),
});
