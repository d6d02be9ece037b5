/** A stack holding one StowageRegistry and its outputs: what `cdk deploy` in this repository deploys. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { resolveProps, type StowageRegistryProps } from './props.js';
import { StowageRegistry } from './stowage-registry.js';
import { StowageWebAcl, type StowageWebAclProps } from './waf.js';

export interface StowageStackProps extends StackProps {
  /**
   * The registry's props, or a function making them in this stack's scope (for props that
   * import resources, e.g. a certificate by ARN).
   * @default {}
   */
  readonly registry?: StowageRegistryProps | ((scope: Construct) => StowageRegistryProps);
  /**
   * Create a web ACL in this stack and attach it (this stack must then be in us-east-1; from
   * elsewhere, create StowageWebAcl in a us-east-1 stack and pass `registry.webAclArn`).
   * @default - no web ACL unless registry.webAclArn is given
   */
  readonly webAcl?: StowageWebAclProps;
}

export class StowageStack extends Stack {
  readonly registry: StowageRegistry;

  constructor(scope: Construct, id: string, props: StowageStackProps = {}) {
    super(scope, id, props);
    const registryProps = typeof props.registry === 'function' ? props.registry(this) : (props.registry ?? {});
    resolveProps(registryProps); // every registry prop checked before anything is created
    if (props.webAcl && registryProps.webAclArn) throw new Error('StowageStack: give webAcl or registry.webAclArn, not both');
    const webAclArn = props.webAcl ? new StowageWebAcl(this, 'WebAcl', props.webAcl).webAclArn : registryProps.webAclArn;
    this.registry = new StowageRegistry(this, 'Registry', { ...registryProps, ...(webAclArn && { webAclArn }) });

    const r = this.registry;
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out('RegistryHost', r.registryHost, 'What `docker login` takes');
    out('UserPoolId', r.auth.userPool.userPoolId, 'Cognito user pool (people: admin-create-user)');
    out('UserClientId', r.auth.userClient.userPoolClientId, 'App client for people (username + password)');
    out('MachineClientId', r.auth.machineClient.userPoolClientId, 'App client for CI (client credentials; its secret is in the Cognito console / DescribeUserPoolClient)');
    out('OAuthTokenUrl', r.auth.oauthTokenUrl, 'Cognito OAuth2 token endpoint (client credentials grant)');
    out('EventBusName', r.events.bus.eventBusName, 'EventBridge bus with push and delete events');
    out('BucketName', r.storage.bucket.bucketName, 'Blob bucket');
    out('TableName', r.metadata.table.tableName, 'Metadata table');
    out('DistributionId', r.frontDoor.distribution.distributionId, 'CloudFront distribution');
    out('DistributionDomainName', r.frontDoor.distribution.distributionDomainName, "The distribution's *.cloudfront.net name (the registry host when no custom domain is set)");
    out('CollectorFunctionName', r.collector.function.functionName, 'Garbage collection Lambda (scheduled; `npm run smoke` invokes it once)');
  }
}
