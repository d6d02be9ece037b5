/**
 * The web console on AWS: its built files in a private bucket, deployed from dist/ui/ with the
 * right caching, served at /ui/* of the same front door through origin access control, with
 * the console's CSP and a function that answers its routes with index.html.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { Match } from 'aws-cdk-lib/assertions';
import { CONSOLE_CSP } from '../../src/shells/http/console-assets.js';
import { CONSOLE_PATH_PATTERN, CONSOLE_ROUTE_FUNCTION } from '../../lib/console.js';
import { resourcesOfType, synthCached } from './support.js';

type Behavior = { PathPattern: string; TargetOriginId: string; AllowedMethods: string[]; ResponseHeadersPolicyId: unknown; FunctionAssociations?: unknown[] };

function config() {
  const [[, d]] = resourcesOfType(synthCached().json, 'AWS::CloudFront::Distribution') as [[string, { DistributionConfig: Record<string, unknown> }]];
  return d.DistributionConfig as { CacheBehaviors: Behavior[]; Origins: { Id: string; S3OriginConfig?: unknown; OriginAccessControlId?: unknown; DomainName: unknown }[] };
}

test('the front door serves /ui/* from an S3 origin through origin access control, GET and HEAD only', () => {
  const c = config();
  const behavior = c.CacheBehaviors.find((b) => b.PathPattern === CONSOLE_PATH_PATTERN);
  assert.ok(behavior, 'a /ui/* behaviour');
  assert.deepEqual(behavior.AllowedMethods.sort(), ['GET', 'HEAD']);
  const origin = c.Origins.find((o) => o.Id === behavior.TargetOriginId);
  assert.ok(origin?.S3OriginConfig, 'an S3 origin');
  assert.ok(origin.OriginAccessControlId, 'read through origin access control, not a public bucket');
  assert.equal(c.CacheBehaviors.length, 3, 'the upload behaviour, the blob content and the console: the API keeps the default');
  synthCached().template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
});

test('the console bucket is private and TLS-only', () => {
  const buckets = resourcesOfType(synthCached().json, 'AWS::S3::Bucket').filter(([id]) => id.startsWith('RegistryWebConsole'));
  assert.equal(buckets.length, 1);
  const [, props] = buckets[0]!;
  assert.deepEqual(props.PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
});

test('the built files are deployed under ui/: index.html revalidated, hashed assets immutable', () => {
  const { template } = synthCached();
  template.hasResourceProperties('Custom::CDKBucketDeployment', { DestinationBucketKeyPrefix: 'ui/', Exclude: ['assets/*'], SystemMetadata: { 'cache-control': 'no-cache' } });
  template.hasResourceProperties('Custom::CDKBucketDeployment', {
    DestinationBucketKeyPrefix: 'ui/',
    Include: ['assets/*'],
    SystemMetadata: { 'cache-control': Match.stringLikeRegexp('immutable') },
  });
});

test("responses carry the console's CSP, the same as the node server's", () => {
  synthCached().template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
    ResponseHeadersPolicyConfig: Match.objectLike({
      SecurityHeadersConfig: Match.objectLike({
        ContentSecurityPolicy: { ContentSecurityPolicy: CONSOLE_CSP, Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
      }),
    }),
  });
});

test("the route function answers the console's routes with index.html and leaves files alone", () => {
  const run = (uri: string) => (runInNewContext(`${CONSOLE_ROUTE_FUNCTION}; handler({ request: { uri: ${JSON.stringify(uri)} } })`) as { uri: string }).uri;
  assert.equal(run('/ui/'), '/ui/index.html');
  assert.equal(run('/ui/r/team/app'), '/ui/index.html');
  assert.equal(run('/ui/r/my.app/-/manifest/sha256:abc'), '/ui/index.html');
  assert.equal(run('/ui/sign-in'), '/ui/index.html');
  assert.equal(run('/ui/assets/main-ABC.js'), '/ui/assets/main-ABC.js');
});

test('webConsole: false leaves the console out', () => {
  const { json } = synthCached({ webConsole: false });
  assert.equal(resourcesOfType(json, 'AWS::CloudFront::ResponseHeadersPolicy').length, 0);
  const [[, d]] = resourcesOfType(json, 'AWS::CloudFront::Distribution') as [[string, { DistributionConfig: { CacheBehaviors: Behavior[] } }]];
  assert.equal(
    d.DistributionConfig.CacheBehaviors.some((b) => b.PathPattern === CONSOLE_PATH_PATTERN),
    false,
  );
});
