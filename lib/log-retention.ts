/**
 * Log retention for the Lambda functions CDK itself adds for the registry (custom-resource
 * providers: the default security group restriction, cross-region references). They are raw
 * `AWS::Lambda::Function` resources whose logs would go to a log group without retention; this
 * aspect gives each a log group with the registry's retention. Functions made with the Lambda
 * constructs (every one of the registry's own) are left alone: their log groups are explicit.
 */
import { CfnResource, type IAspect } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { logGroupDefaults } from './defaults.js';

export class ProviderLogRetention implements IAspect {
  constructor(private readonly retention: logs.RetentionDays) {}

  visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node) || node.cfnResourceType !== 'AWS::Lambda::Function') return;
    if (!node.node.path.includes('CustomResourceProvider')) return;
    const scope = node.node.scope;
    const id = `${node.node.id}Logs`;
    if (!scope || scope.node.tryFindChild(id)) return;
    const logGroup = new logs.LogGroup(scope, id, logGroupDefaults(this.retention));
    node.addPropertyOverride('LoggingConfig', { LogGroup: logGroup.logGroupName });
  }
}
