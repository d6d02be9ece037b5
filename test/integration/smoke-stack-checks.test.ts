/**
 * The smoke test's stack checks (`npm run smoke -- URL --stack NAME --region R`) against the
 * local harness and stand-ins for what it calls on AWS: DescribeStacks and Lambda Invoke answered
 * from the harness's own template (test/harness/control-plane.ts), SQS on fauxqs, an EventBridge
 * bus with rules and SQS targets (test/helpers/eventbridge-bus.ts), and the DynamoDB stream
 * pumped from the table's outbox items into the template's stream consumer Lambda
 * (test/harness/stream-pump.ts). So a push through the front door travels table -> consumer ->
 * bus -> the smoke's own rule -> its queue, and the collector Lambda runs from the template.
 *
 * The collector runs here with a grace of 0 (the stack's is 1 hour), so its report must count
 * the events check's deleted image (3 links and 3 blobs) while the tagged `tags` images still
 * pull: the report the smoke prints is the collector's real one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from 'fauxqs';
import { resolveString } from '../harness/cfn.js';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.js';
import { stackModels, type LambdaHarness } from '../harness/harness.js';
import type { LambdaRuntime } from '../harness/lambda-runtime.js';
import { localizePublicHost } from '../harness/local-names.js';
import { OutboxStreamPump } from '../harness/stream-pump.js';
import { TEST_CREDENTIALS } from '../helpers/aws-emulators.js';
import { startEventBridgeBus, type EventBridgeBusStandIn } from '../helpers/eventbridge-bus.js';
import { RunError, run } from '../helpers/exec.js';
import { startLambdaBackend } from '../helpers/lambda-backend.js';
import { requireTools } from '../helpers/tools.js';
import { PACKAGE_ROOT } from '../../lib/stowage-registry.js';
import { type SmokeAws, smokeAws } from '../smoke/aws.js';
import { cloudFrontStep } from '../smoke/cloudfront-step.js';
import { eventProblems, type ReceivedEvent } from '../smoke/events-step.js';
import { readCollectionReport } from '../smoke/gc-step.js';
import { formatResults, runSmoke } from '../smoke/smoke.js';
import { Skip } from '../smoke/step.js';

const script = fileURLToPath(new URL('../../../scripts/smoke.mjs', import.meta.url));
const REGION = 'eu-west-1';
const STACK = 'Stowage';

/** The actions of the IAM policy in docs/deploy.md's "The smoke test" section. */
async function documentedSmokeActions(): Promise<string[]> {
  const text = await readFile(join(PACKAGE_ROOT, 'docs', 'deploy.md'), 'utf8');
  const section = text.slice(text.indexOf('## The smoke test'), text.indexOf('## What only a deployment can confirm'));
  const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(json, 'the section has a JSON policy');
  const policy = JSON.parse(json) as { Statement: { Action: string | string[] }[] };
  return policy.Statement.flatMap((st) => [st.Action].flat()).sort();
}

/** A SmokeAws that records the IAM action of every call it makes. */
function recordingAws(real: SmokeAws): { aws: SmokeAws; used: Set<string> } {
  const used = new Set<string>();
  real.eventBridge.middlewareStack.add(
    (next, context) => async (args) => {
      used.add(`events:${String(context.commandName).replace(/Command$/, '')}`);
      return next(args);
    },
    { step: 'initialize', name: 'recordActions' },
  );
  const aws: SmokeAws = {
    region: real.region,
    eventBridge: real.eventBridge,
    stackOutputs(name) {
      used.add('cloudformation:DescribeStacks');
      return real.stackOutputs(name);
    },
    sqs(action, input) {
      used.add(`sqs:${action}`);
      return real.sqs(action, input);
    },
    invoke(name, payload, timeoutMs) {
      used.add('lambda:InvokeFunction');
      return real.invoke(name, payload, timeoutMs);
    },
  };
  return { aws, used };
}

const line = (stdout: string, check: string) => stdout.split('\n').find((l) => new RegExp(`^ {2}\\w+ +${check} `).test(l)) ?? `(no ${check} line in)\n${stdout}`;

describe('the smoke test against a stack', { timeout: 600_000, skip: requireTools('skopeo', 'umoci') }, () => {
  let work = '';
  let harness: LambdaHarness;
  let sqs: { endpoint: string; close(): Promise<unknown> };
  let bus: EventBridgeBusStandIn;
  let pump: OutboxStreamPump;
  let controlPlane: ControlPlane;
  let runtime: LambdaRuntime;
  let env: Record<string, string>;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'stowage-smoke-stack-'));
    const { synthesized, names } = stackModels({ region: REGION });
    const template = synthesized.template;
    const functionId = (entry: string) => {
      for (const [id, r] of Object.entries(template.Resources)) {
        if (r.Type !== 'AWS::Lambda::Function') continue;
        try {
          if (synthesized.functionSource(id).entry === entry) return id;
        } catch {}
      }
      throw new Error(`no function runs ${entry}`);
    };
    const collectorId = functionId('lambdas/gc.ts');
    const consumerId = functionId('lambdas/stream-events.ts');

    const app = buildApp({ logger: false });
    sqs = { endpoint: await app.listen({ port: 0, host: '127.0.0.1' }), close: () => app.close() };
    harness = await startLambdaBackend({ dataDir: join(work, 'harness'), region: REGION });
    const outputs: Record<string, string> = {};
    for (const [key, output] of Object.entries(template.Outputs ?? {})) {
      try {
        outputs[key] = localizePublicHost(resolveString((output as { Value: unknown }).Value, names.resolver, key), harness.frontDoor);
      } catch {} // outputs the harness has no stand-in for (Cognito's domain): the smoke reads none of them
    }
    // The outputs the smoke reads name the collector and the distribution (Ref resolves to the logical id here).
    assert.equal(outputs.CollectorFunctionName, collectorId);
    assert.equal(outputs.DistributionDomainName, harness.host);
    bus = await startEventBridgeBus({ busName: String(outputs.EventBusName), region: REGION, accountId: names.accountId, sqsEndpoint: sqs.endpoint });
    runtime = harness.runtimeFor([collectorId, consumerId], { AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url, STOWAGE_GC_GRACE: '0' });
    const tableName = [...names.tables.values()][0] as string;
    pump = new OutboxStreamPump({ dynamodb: harness.emulators.dynamodb, tableName, region: REGION, invoke: (event) => runtime.invoke(consumerId, event, randomUUID()) });
    pump.start();
    controlPlane = await startControlPlane({ stackName: STACK, outputs, functions: { [String(outputs.CollectorFunctionName)]: collectorId }, runtime });
    env = {
      AWS_ENDPOINT_URL_CLOUDFORMATION: controlPlane.url,
      AWS_ENDPOINT_URL_LAMBDA: controlPlane.url,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    };
  });
  after(async () => {
    await pump?.stop();
    await controlPlane?.close();
    await bus?.close();
    await harness?.close();
    await sqs?.close();
    await rm(work, { recursive: true, force: true });
  });

  const queuesLeft = async () => {
    const aws = smokeAws({ region: REGION, credentials: TEST_CREDENTIALS, env });
    return ((await aws.sqs('ListQueues', {})).QueueUrls as string[] | undefined) ?? [];
  };

  test('npm run smoke --stack: the CloudFront name, tags-component names, push and delete events on the bus, a collector run; nothing left behind', async (t) => {
    let stdout: string;
    let code = 0;
    try {
      ({ stdout } = await run(process.execPath, [script, harness.url, '--stack', STACK, '--region', REGION, '--clients', 'skopeo', '--layer-mib', '1', '--event-deadline', '60'], {
        timeoutMs: 400_000,
        env: { ...process.env, ...env },
      }));
    } catch (err) {
      if (!(err instanceof RunError)) throw err;
      ({ stdout, code } = { stdout: err.stdout, code: err.code ?? -1 });
    }
    t.diagnostic(stdout);
    assert.equal(code, 0, stdout);
    assert.match(line(stdout, 'stack'), /PASS +stack +stack Stowage in eu-west-1: bus \S+, collector \S+/);
    assert.match(
      line(stdout, 'cloudfront'),
      new RegExp(`PASS +cloudfront +GET /v2/ came through CloudFront \\(Via: 1\\.1 .*\\(CloudFront\\)\\); ${harness.host.replace(/\./g, '\\.')} is the stack's distribution`),
    );
    assert.match(line(stdout, 'tags'), /PASS +tags +push, pull .*tags\/list: smoke\/\S+\/tags\/app, smoke\/\S+\/app\/tags/);
    assert.match(
      line(stdout, 'events'),
      /PASS +events +PUSH after [\d.]+ s and DELETE \(tag and manifest\) after [\d.]+ s on bus \S+, detail ECR-shaped \(Stowage Image Action\): smoke\/\S+\/events@sha256:/,
    );
    // The events check's image (config + 2 layers) is deleted; grace 0 here: the sweep reclaims exactly it.
    assert.match(
      line(stdout, 'gc'),
      /PASS +gc +invoked \S+: \d+ repositories swept, \d+ blobs scanned, 0 manifests expired, 3 links removed, 3 blobs deleted .* complete in [\d.]+ s; 2 tagged smoke images still pull/,
    );
    assert.match(line(stdout, 'skopeo'), /PASS/);

    assert.deepEqual(controlPlane.invocations.length, 1);
    // Through the rule to the queue: the push, and the delete's two events (its tag's and the manifest's).
    const delivered = bus.deliveries.map((d) => {
      const detail = d.detail as { 'action-type': string; 'image-tag'?: string };
      return `${d.delivered ? 'delivered' : d.reason} ${detail['action-type']} ${detail['image-tag'] ?? '(untagged)'}`;
    });
    assert.deepEqual(delivered.sort(), ['delivered DELETE (untagged)', 'delivered DELETE v1', 'delivered PUSH v1']);
    assert.deepEqual(bus.rules(), [], 'the rule is gone');
    assert.deepEqual(await queuesLeft(), [], 'the queue is gone');
    assert.deepEqual(pump.failures, []);
  });

  test("cloudfront: a host that is not the stack's fails; a registry outside CloudFront fails with --stack and is skipped without", async () => {
    await assert.rejects(
      cloudFrontStep(harness.url, { RegistryHost: 'registry.example.com', DistributionDomainName: 'd111.cloudfront.net' }),
      new RegExp(`${harness.host.replace(/\./g, '\\.')} is neither the stack's RegistryHost \\(registry\\.example\\.com\\) nor its distribution \\(d111\\.cloudfront\\.net\\)`),
    );
    // A registry run elsewhere (the container image, `stowage serve`): no CloudFront marks.
    const server = createServer((_req, res) => res.writeHead(401, { 'www-authenticate': 'Bearer realm="x"' }).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const elsewhere = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await assert.rejects(cloudFrontStep(elsewhere, { RegistryHost: 'x' }), /answered without CloudFront's Via or X-Amz-Cf-Id/);
      await assert.rejects(cloudFrontStep(elsewhere), (err) => err instanceof Skip && /no --stack, so none is expected/.test(err.message));
    } finally {
      server.close();
    }
  });

  test('an event that never arrives: events fails at its deadline naming what it saw, and the rule and queue are still removed; the AWS actions used are the ones docs/deploy.md grants', async () => {
    await pump.stop();
    const { aws, used } = recordingAws(smokeAws({ region: REGION, credentials: TEST_CREDENTIALS, env }));
    try {
      const results = await runSmoke({
        registry: harness.url,
        clients: [],
        stack: STACK,
        region: REGION,
        aws,
        eventDeadlineMs: 3_000,
        eventSettleMs: 0,
      });
      const text = formatResults(harness.url, results);
      assert.match(line(text, 'events'), /FAIL +events +no PUSH event for smoke\/\S+\/events@sha256:\w+ within 3 s \(events seen: none\)/);
      // gc still runs: it deletes an image of its own when the events check did not get to.
      assert.match(line(text, 'gc'), /PASS +gc +invoked/);
      assert.deepEqual(bus.rules(), []);
      assert.deepEqual(await queuesLeft(), []);
      // Even on this path every call is made (the listener is set up and torn down): no more, no fewer than documented.
      assert.deepEqual([...used].sort(), await documentedSmokeActions());
    } finally {
      pump.start();
    }
  });
});

describe('reading what the smoke receives', () => {
  const pushed: ReceivedEvent = {
    id: 'e1',
    source: 'stowage',
    'detail-type': 'Stowage Image Action',
    time: '2026-12-02T00:00:00Z',
    detail: {
      'action-type': 'PUSH',
      result: 'SUCCESS',
      'repository-name': 'smoke/x/events',
      'image-digest': 'sha256:aa',
      'image-tag': 'v1',
      'manifest-media-type': 'application/vnd.oci.image.manifest.v1+json',
      target: { digest: 'sha256:aa', repository: 'smoke/x/events', url: '/v2/smoke/x/events/manifests/sha256:aa' },
      'event-id': 'e1',
    },
  };

  test('an event whose detail is not what ECR consumers read is reported field by field', () => {
    const expected = { action: 'PUSH' as const, repository: 'smoke/x/events', digest: 'sha256:aa', tag: 'v1', mediaType: 'application/vnd.oci.image.manifest.v1+json' };
    assert.deepEqual(eventProblems(pushed, expected), []);
    const { 'image-tag': _tag, ...untagged } = pushed.detail;
    const wrong = { ...pushed, source: 'aws.ecr', detail: { ...untagged, result: 'FAILURE' } } as unknown as ReceivedEvent;
    assert.deepEqual(eventProblems(wrong, expected), [
      'source is "aws.ecr", expected "stowage"',
      'detail.result is "FAILURE", expected "SUCCESS"',
      'detail.image-tag is null, expected "v1"',
    ]);
  });

  test("the collector's answer: a report, a function error, a garbled report", () => {
    const report = {
      dryRun: false,
      manifestsDeleted: 0,
      linksRemoved: 1,
      blobsDeleted: 1,
      bytesFreed: 10,
      uploadsExpired: 0,
      repositoriesSwept: 2,
      blobsScanned: 5,
      complete: true,
      durationMs: 40,
    };
    assert.deepEqual(readCollectionReport({ status: 200, payload: JSON.stringify(report) }), report);
    assert.throws(
      () => readCollectionReport({ status: 200, functionError: 'Unhandled', payload: JSON.stringify({ errorType: 'AccessDenied', errorMessage: 'not allowed: s3:ListBucket' }) }),
      /the collector failed \(Unhandled\): AccessDenied: not allowed: s3:ListBucket/,
    );
    assert.throws(
      () => readCollectionReport({ status: 200, payload: JSON.stringify({ ...report, blobsDeleted: 'many', complete: undefined }) }),
      /lacks or garbles blobsDeleted, complete/,
    );
    assert.throws(() => readCollectionReport({ status: 403, payload: '{"Message":"no"}' }), /Invoke -> 403/);
  });
});
