/** Props are validated, all of them, before anything is created; context values become props. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { MAX_NAME_DEPTH_LIMIT, resolveProps } from '../../lib/props.js';
import { readContext, registryPropsFromContext } from '../../lib/context.js';
import { StowageRegistry } from '../../lib/stowage-registry.js';
import './support.js';

test('defaults', () => {
  const p = resolveProps();
  assert.equal(p.maxNameDepth, 5);
  assert.equal(p.stageName, 'registry');
  assert.equal(p.uploadService.enabled, true);
  assert.equal(p.anonymousPull, false);
  assert.equal(p.presignExpiresSeconds, 900);
});

test('every bad prop is reported at once', () => {
  assert.throws(
    () =>
      resolveProps({
        maxNameDepth: MAX_NAME_DEPTH_LIMIT + 1,
        stageName: 'has space',
        s3Prefix: '/abs',
        presignExpiresSeconds: 0,
        serviceName: 'bad"quote',
        uploadService: { cpu: 1024, memoryMiB: 1000 },
        webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/y',
      }),
    (err: Error) => {
      for (const what of ['maxNameDepth', 'stageName', 's3Prefix', 'presignExpiresSeconds', 'serviceName', 'memoryMiB', 'webAclArn']) assert.match(err.message, new RegExp(what));
      return true;
    },
  );
  assert.throws(() => resolveProps({ uploadService: { enabled: false, natGateways: 1 } }), /need uploadService.enabled/);
  assert.throws(
    () => resolveProps({ uploadService: { desiredCount: 3, maxCount: 2 }, alarmEmail: 'not-mail', reservedConcurrency: { getBlob: -1, nosuchOp: 5 } }),
    (err: Error) => {
      for (const what of [
        /maxCount must be an integer from desiredCount \(3\)/,
        /alarmEmail must be an e-mail address/,
        /reservedConcurrency.getBlob/,
        /"nosuchOp" is not an operation/,
      ]) {
        assert.match(err.message, what);
      }
      return true;
    },
  );
  assert.throws(() => resolveProps({ alarmEmail: 'a@b.io', alarmTopic: {} as never }), /subscribe to your topic yourself/);
});

test('a certificate outside us-east-1 is refused for CloudFront', () => {
  const stack = new Stack(new App(), 'S');
  assert.throws(
    () =>
      resolveProps({
        customDomain: { domainNames: ['r.example.com'], certificate: acm.Certificate.fromCertificateArn(stack, 'C', 'arn:aws:acm:eu-west-1:123456789012:certificate/x') },
      }),
    /us-east-1/,
  );
});

test('validation runs before any resource exists: a bad construct leaves the stack empty', () => {
  const stack = new Stack(new App(), 'S', { env: { region: 'eu-west-1', account: '123456789012' } });
  assert.throws(() => new StowageRegistry(stack, 'R', { maxNameDepth: 0 }), /maxNameDepth/);
  assert.deepEqual(
    stack.node
      .findAll()
      .filter((c) => c !== stack && c.node.path.startsWith('S/R'))
      .map((c) => c.node.path),
    ['S/R'],
  );
});

test('missing Lambda entries are named', () => {
  const stack = new Stack(new App(), 'S', { env: { region: 'eu-west-1', account: '123456789012' } });
  assert.throws(() => new StowageRegistry(stack, 'R', { entryDirectory: '/nonexistent' }), /getManifest\.ts[\s\S]*stream-events\.ts/);
});

test('context: strings, numbers and booleans from the command line or cdk.json; unknown keys refused', () => {
  const c = readContext({ 'stowage:maxNameDepth': '3', 'stowage:uploadService': 'false', 'stowage:tracing': true, 'stowage:stageName': 'v2', other: 'ignored' });
  assert.deepEqual(c, { maxNameDepth: 3, uploadService: false, tracing: true, stageName: 'v2' });
  assert.throws(() => readContext({ 'stowage:maxDepth': '3' }), /unknown context key stowage:maxDepth/);
  assert.throws(() => readContext({ 'stowage:maxNameDepth': 'x', 'stowage:waf': 'yes' }), /maxNameDepth must be a number[\s\S]*waf must be true or false/);
  const props = registryPropsFromContext(new Stack(new App(), 'S'), {
    ...c,
    domainNames: 'registry.example.com',
    certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/x',
  });
  assert.equal(props.maxNameDepth, 3);
  assert.equal(props.uploadService?.enabled, false);
  assert.deepEqual(props.customDomain?.domainNames, ['registry.example.com']);
  assert.throws(() => registryPropsFromContext(new Stack(new App(), 'S'), { domainNames: 'a.example.com' }), /go together/);
  // The cost and operations options of issue 14 reach the props from the command line too.
  const more = registryPropsFromContext(
    new Stack(new App(), 'S'),
    readContext({
      'stowage:uploadServiceSpot': 'false',
      'stowage:uploadServiceMaxCount': '6',
      'stowage:alarmEmail': 'ops@example.com',
      'stowage:accessLogs': 'true',
      'stowage:dashboard': 'true',
    }),
  );
  assert.deepEqual(more.uploadService, { maxCount: 6, spot: false });
  assert.equal(more.alarmEmail, 'ops@example.com');
  assert.equal(more.accessLogs, true);
  assert.equal(more.dashboard, true);
});

test('props that are runtime settings take their defaults and limits from the settings module, and document them', async () => {
  const { SETTINGS } = await import('../../src/config/settings.js');
  const { readFile } = await import('node:fs/promises');
  const p = resolveProps();
  const same = [
    ['presignExpiresSeconds', p.presignExpiresSeconds, SETTINGS.s3PresignExpires.default],
    ['resourceServerIdentifier', p.resourceServerIdentifier, SETTINGS['cognito.resourceServer'].default],
    ['s3Prefix', p.s3Prefix, SETTINGS.s3Prefix.default],
  ] as const;
  const source = await readFile(new URL('../../../lib/props.ts', import.meta.url), 'utf8');
  for (const [prop, resolved, setting] of same) {
    assert.equal(resolved, setting, prop);
    const documented = new RegExp(`@default (\\S+)\\s*\\*/\\s*readonly ${prop}\\?`).exec(source)?.[1];
    assert.equal(documented, typeof setting === 'string' ? `'${setting}'` : String(setting), `the TSDoc @default of ${prop}`);
  }
  assert.throws(() => resolveProps({ presignExpiresSeconds: 604_801 }), new RegExp(`presignExpiresSeconds must be ${SETTINGS.s3PresignExpires.allowed}`));
});
