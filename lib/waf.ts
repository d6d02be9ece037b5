/**
 * A WAF web ACL for the registry's distribution. CloudFront takes only web ACLs of CLOUDFRONT
 * scope, and those exist only in us-east-1: put this construct in a us-east-1 stack and pass its
 * `webAclArn` to StowageRegistry (the app in bin/ does it with a cross-region reference when the
 * registry lives elsewhere). Rules: a rate limit per client IP, and two AWS managed rule groups
 * that never look at request bodies' size (the common rule set's SizeRestrictions_BODY would
 * block every manifest and blob upload, so it is not used).
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface StowageWebAclProps {
  /**
   * Requests one client IP may make in the evaluation window before it is blocked. A pull of a
   * 50-layer image is about 110 requests, and CI fleets share NAT addresses.
   * @default 10000
   */
  readonly rateLimit?: number;
  /**
   * Evaluation window of the rate limit, seconds (60, 120, 300 or 600).
   * @default 300
   */
  readonly evaluationWindowSec?: number;
}

export class StowageWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: StowageWebAclProps = {}) {
    super(scope, id);
    const rateLimit = props.rateLimit ?? 10_000;
    const window = props.evaluationWindowSec ?? 300;
    const problems: string[] = [];
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && region !== 'us-east-1') problems.push(`a CLOUDFRONT web ACL must be created in us-east-1, not ${region}`);
    if (!Number.isSafeInteger(rateLimit) || rateLimit < 10 || rateLimit > 2_000_000_000) problems.push(`rateLimit must be an integer from 10 to 2000000000 (got ${rateLimit})`);
    if (![60, 120, 300, 600].includes(window)) problems.push(`evaluationWindowSec must be 60, 120, 300 or 600 (got ${window})`);
    if (problems.length) throw new Error(`StowageWebAcl: ${problems.join('; ')}`);

    const visibility = (name: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: name });
    const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(name),
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      description: 'Stowage registry front door',
      visibilityConfig: visibility('stowage'),
      rules: [
        {
          name: 'rate-limit-per-ip',
          priority: 0,
          action: { block: { customResponse: { responseCode: 429 } } },
          statement: { rateBasedStatement: { limit: rateLimit, evaluationWindowSec: window, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('stowage-rate-limit'),
        },
        managed('AWSManagedRulesAmazonIpReputationList', 1),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
      ],
    });
    this.webAclArn = this.webAcl.attrArn;
  }
}
