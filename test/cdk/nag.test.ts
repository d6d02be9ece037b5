/**
 * cdk-nag's AwsSolutions pack over the synthesized stack (and the edge function's us-east-1
 * stack): no finding may be left that is not acknowledged, with its reason, by the construct
 * that creates the resource (lib/nag.ts). Run on the default props and on the configuration with
 * every option on, since options add resources (access logs, custom domain, NAT, anonymous pull).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { synth, type Synthesized } from './support.js';

function findings(s: Synthesized): string[] {
  const report = new AwsSolutionsChecks().validateScope(s.stack.node.root);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${(r as { constructPath?: string }).constructPath ?? r.resourceLogicalId}`));
}

test('AwsSolutions: no unacknowledged finding with default props', () => {
  assert.deepEqual(findings(synth()), []);
});

test('AwsSolutions: no unacknowledged finding with the options on (access logs, custom domain, NAT, anonymous pull, IAM login, alarm e-mail, an ECR image)', () => {
  const s = synth({
    region: 'us-east-1',
    registry: (scope) => ({
      accessLogs: true,
      anonymousPull: true,
      iamLogin: true,
      dashboard: true,
      alarmEmail: 'ops@example.com',
      customDomain: { domainNames: ['registry.example.com'], certificate: acm.Certificate.fromCertificateArn(scope, 'C', 'arn:aws:acm:us-east-1:123456789012:certificate/abc') },
      uploadService: { natGateways: 1, spot: false, image: ecs.ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(scope, 'Repo', 'stowage'), 'v1') },
    }),
  });
  assert.deepEqual(findings(s), []);
});

test('an acknowledgement is what silences a finding: the same stack without them has findings', () => {
  const s = synth();
  // Strip every acknowledgement the constructs recorded; the pack must then report again.
  for (const c of s.stack.node.root.node.findAll()) {
    const kept = c.node.metadata.filter((m) => m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    if (kept.length !== c.node.metadata.length) (c.node as unknown as { _metadata: unknown[] })._metadata = kept;
  }
  const left = findings(s);
  for (const rule of ['AwsSolutions-APIG4', 'AwsSolutions-COG4', 'AwsSolutions-S1', 'AwsSolutions-SQS3']) {
    assert.ok(
      left.some((f) => f.startsWith(`${rule} `)),
      `${rule} reported without its acknowledgement`,
    );
  }
});
