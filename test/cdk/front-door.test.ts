/** CloudFront: Authorization forwarded, caching off in effect, API and upload behaviours, edge code attached. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Match } from 'aws-cdk-lib/assertions';
import { UPLOAD_PATH_PATTERN } from '../../lib/front-door.js';
import { resourcesOfType, synth, synthCached, type Synthesized } from './support.js';

/** The managed AllViewerExceptHostHeader origin request policy (a fixed AWS id). */
const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

function distribution(s: Synthesized) {
  const [[, d]] = resourcesOfType(s.json, 'AWS::CloudFront::Distribution') as [[string, { DistributionConfig: Record<string, unknown> }]];
  return d.DistributionConfig as {
    DefaultCacheBehavior: Record<string, unknown>;
    CacheBehaviors: Record<string, unknown>[];
    Origins: Record<string, unknown>[];
    WebACLId?: string;
    Aliases?: string[];
    ViewerCertificate?: Record<string, unknown>;
  };
}

test('cache policy: Authorization and every query string in the key (so both are forwarded), nothing cached in effect', () => {
  synthCached().template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
    CachePolicyConfig: {
      MinTTL: 0,
      DefaultTTL: 0,
      MaxTTL: 1,
      ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
        HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Authorization'] },
        QueryStringsConfig: { QueryStringBehavior: 'all' },
        CookiesConfig: { CookieBehavior: 'none' },
      }),
    },
  });
});

test('default behaviour: the API, HTTPS only, all methods, AllViewerExceptHostHeader, the API key as origin header, origin path = stage', () => {
  const s = synthCached();
  const d = distribution(s);
  const b = d.DefaultCacheBehavior;
  assert.equal(b.ViewerProtocolPolicy, 'https-only');
  assert.deepEqual(b.AllowedMethods, ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']);
  assert.equal(b.OriginRequestPolicyId, ALL_VIEWER_EXCEPT_HOST);
  assert.equal(b.Compress, false);
  const origin = d.Origins.find((o) => o.Id === b.TargetOriginId) as Record<string, unknown>;
  assert.match(JSON.stringify(origin.DomainName), /execute-api/);
  assert.match(JSON.stringify(origin.OriginPath), /"\/"/, 'origin path is built from the stage');
  assert.deepEqual(
    (origin.OriginCustomHeaders as { HeaderName: string }[]).map((h) => h.HeaderName),
    ['x-api-key'],
  );
  assert.match(JSON.stringify(origin.OriginCustomHeaders), /resolve:secretsmanager/, 'the key is a dynamic reference, not template text');
  assert.deepEqual(
    (b.FunctionAssociations as { EventType: string }[]).map((f) => f.EventType),
    ['viewer-request'],
  );
  assert.deepEqual(
    (b.LambdaFunctionAssociations as { EventType: string }[]).map((f) => f.EventType),
    ['origin-response'],
  );
  s.template.hasResourceProperties('AWS::CloudFront::Function', { FunctionConfig: Match.objectLike({ Runtime: 'cloudfront-js-2.0' }) });
});

test('upload behaviour: a VPC origin to the internal load balancer with a 60 s response timeout', () => {
  const s = synthCached();
  const d = distribution(s);
  const upload = d.CacheBehaviors.find((b) => b.PathPattern === UPLOAD_PATH_PATTERN) as Record<string, unknown>;
  assert.ok(upload);
  assert.equal(upload.ViewerProtocolPolicy, 'https-only');
  assert.ok((upload.AllowedMethods as string[]).includes('PATCH'));
  assert.deepEqual(
    (upload.FunctionAssociations as { EventType: string }[]).map((f) => f.EventType),
    ['viewer-request'],
  );
  assert.equal(upload.CachePolicyId && JSON.stringify(upload.CachePolicyId), JSON.stringify(d.DefaultCacheBehavior.CachePolicyId), 'Authorization is forwarded there too');
  const origin = d.Origins.find((o) => o.Id === upload.TargetOriginId) as Record<string, unknown>;
  assert.ok(origin.VpcOriginConfig, 'a VPC origin');
  assert.equal((origin.VpcOriginConfig as { OriginReadTimeout: number }).OriginReadTimeout, 60);
  s.template.hasResourceProperties('AWS::CloudFront::VpcOrigin', {
    VpcOriginEndpointConfig: Match.objectLike({ OriginProtocolPolicy: 'http-only', Arn: Match.anyValue() }),
  });
});

test('without the upload service the upload behaviour goes to the API', () => {
  const s = synthCached({ uploadService: { enabled: false } });
  const d = distribution(s);
  const upload = d.CacheBehaviors.find((b) => b.PathPattern === UPLOAD_PATH_PATTERN) as Record<string, unknown>;
  assert.equal(upload.TargetOriginId, d.DefaultCacheBehavior.TargetOriginId);
  s.template.resourceCountIs('AWS::CloudFront::VpcOrigin', 0);
});

test('blob content behaviour: /<prefix>content/* from the bucket, no origin access control, only the query forwarded, nothing cached, the digest function on viewer response', () => {
  for (const [props, pattern] of [
    [{}, '/content/*'],
    [{ s3Prefix: 'registry/' }, '/registry/content/*'],
  ] as const) {
    const s = synthCached(props);
    const d = distribution(s);
    const blobs = d.CacheBehaviors.find((b) => b.PathPattern === pattern) as Record<string, unknown>;
    assert.ok(blobs, pattern);
    assert.deepEqual(blobs.AllowedMethods, ['GET', 'HEAD']);
    assert.equal(blobs.CachePolicyId, '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', 'the managed CachingDisabled policy: Authorization is not forwarded');
    assert.deepEqual(
      (blobs.FunctionAssociations as { EventType: string }[]).map((f) => f.EventType),
      ['viewer-response'],
    );
    const origin = d.Origins.find((o) => o.Id === blobs.TargetOriginId) as Record<string, unknown>;
    assert.deepEqual(origin.S3OriginConfig, { OriginAccessIdentity: '' }, 'the presigned query is the authorization: no OAC/OAI');
    assert.equal(origin.OriginAccessControlId, undefined);
    assert.match(JSON.stringify(origin.DomainName), /RegionalDomainName/, 'the regional endpoint the URL is signed for');
    s.template.hasResourceProperties('AWS::CloudFront::OriginRequestPolicy', {
      OriginRequestPolicyConfig: Match.objectLike({ QueryStringsConfig: { QueryStringBehavior: 'all' }, HeadersConfig: { HeaderBehavior: 'none' } }),
    });
  }
  // The operation Lambdas redirect there.
  const env = JSON.stringify(synthCached().json);
  assert.match(env, /"STOWAGE_S3_BLOB_REDIRECTS":"same-host"/);
});

test('Lambda@Edge: in us-east-1 (another stack when the registry is elsewhere), x86_64', () => {
  // In us-east-1 the function is in the registry's own stack.
  const east = synthCached({}, 'us-east-1');
  const edge = resourcesOfType(east.json, 'AWS::Lambda::Function').filter(([, p]) => String(p.Description ?? '').includes('restore the headers'));
  assert.equal(edge.length, 1);
  assert.equal((edge[0]?.[1].Architectures as string[] | undefined)?.[0] ?? 'x86_64', 'x86_64');
  assert.equal(edge[0]?.[1].Environment, undefined, 'Lambda@Edge takes no environment');
  // Elsewhere, the association reads the version ARN across regions.
  const d = distribution(synthCached());
  assert.match(JSON.stringify(d.DefaultCacheBehavior.LambdaFunctionAssociations), /ArnReader/);
});

test('custom domain: aliases, the certificate with TLS 1.2, DNS aliases in the zone; WAF by ARN', () => {
  const s = synth({
    registry: (scope) => ({
      customDomain: {
        domainNames: ['registry.example.com'],
        certificate: acm.Certificate.fromCertificateArn(scope, 'C', 'arn:aws:acm:us-east-1:123456789012:certificate/abc'),
        hostedZone: route53.HostedZone.fromHostedZoneAttributes(scope, 'Z', { hostedZoneId: 'Z123', zoneName: 'example.com' }),
      },
      webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/stowage/0123abcd',
    }),
  });
  const d = distribution(s);
  assert.deepEqual(d.Aliases, ['registry.example.com']);
  assert.equal(d.ViewerCertificate?.MinimumProtocolVersion, 'TLSv1.2_2021');
  assert.equal(d.WebACLId, 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/stowage/0123abcd');
  s.template.resourceCountIs('AWS::Route53::RecordSet', 2);
  assert.equal(JSON.stringify(s.json.Outputs?.RegistryHost), JSON.stringify({ Description: 'What `docker login` takes', Value: 'registry.example.com' }));
});

test("a web ACL created in the registry's stack when it is in us-east-1: CLOUDFRONT scope, rate rule", () => {
  const s = synth({ region: 'us-east-1', stack: { webAcl: { rateLimit: 5000 } } });
  s.template.hasResourceProperties('AWS::WAFv2::WebACL', {
    Scope: 'CLOUDFRONT',
    Rules: Match.arrayWith([Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 5000, AggregateKeyType: 'IP' }) } })]),
  });
  assert.ok(distribution(s).WebACLId);
  assert.throws(() => synth({ region: 'eu-west-1', stack: { webAcl: {} } }), /us-east-1/);
});
