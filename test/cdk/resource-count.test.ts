/** CloudFormation takes at most 500 resources per stack: check the largest configuration. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { synth } from './support.js';

test('resource count with every optional part on stays under 500', () => {
  const counts: string[] = [];
  for (const region of ['eu-west-1', 'us-east-1']) {
    const s = synth({
      region,
      registry: (scope) => ({
        anonymousPull: true,
        customDomain: {
          domainNames: ['registry.example.com', 'cr.example.com'],
          certificate: acm.Certificate.fromCertificateArn(scope, 'C', 'arn:aws:acm:us-east-1:123456789012:certificate/abc'),
          hostedZone: route53.HostedZone.fromHostedZoneAttributes(scope, 'Z', { hostedZoneId: 'Z123', zoneName: 'example.com' }),
        },
        uploadService: { natGateways: 2 },
      }),
      ...(region === 'us-east-1' && { stack: { webAcl: {} } }),
    });
    Annotations.fromStack(s.stack).hasNoError('*', Match.anyValue());
    const n = Object.keys(s.json.Resources).length;
    counts.push(`${region}: ${n}`);
    assert.ok(n < 500, `${region}: ${n} resources`);
  }
  const defaults = synth();
  Annotations.fromStack(defaults.stack).hasNoError('*', Match.anyValue());
  const plain = Object.keys(defaults.json.Resources).length;
  console.log(`resources with everything on: ${counts.join(', ')}; default props: ${plain}`);
});
