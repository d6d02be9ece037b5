/**
 * A Lambda invocation's logs and metrics, as CloudWatch receives them on stdout: one access line
 * with the node server's fields, and one embedded-metrics (EMF) blob in namespace Stowage with
 * the metric names the dashboard reads (src/shells/observe-metric-names.ts), for an entry that
 * passes the EMF observer (every registry entry but the ping's, whose calls API Gateway's own
 * metrics count); STOWAGE_LOG_LEVEL (the stack's logLevel prop) silences the access line but not
 * the metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pingOperation } from '../../src/core/operations/ping.js';
import { Registry } from '../../src/core/registry.js';
import { SETTINGS } from '../../src/config/settings.js';
import { setLogLevel } from '../../src/log/logger.js';
import { lambdaHandler } from '../../src/shells/lambda/handler.js';
import { emfMetrics } from '../../src/shells/observe-emf.js';
import { handler as pingEntry } from '../../lambdas/ping.js';
import { LAMBDA_METRICS, METRICS_NAMESPACE, OPERATION_DIMENSION } from '../../src/shells/observe-metric-names.js';
import { lambdaContext, proxyEvent } from '../helpers/proxy-event.js';

/** The JSON lines written to stdout while `fn` runs. */
async function stdoutOf(fn: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = original;
  }
  return written
    .join('')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

type Emf = { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } } & Record<string, unknown>;

function pingHandler() {
  const registry = new Registry({}, undefined, { operations: [pingOperation] });
  return lambdaHandler(pingOperation, { registry: () => registry, metrics: emfMetrics });
}

test('an invocation writes one access line with its fields and one EMF blob with the metric names', async () => {
  const handler = pingHandler();
  const event = proxyEvent({ method: 'GET', url: '/v2/', headers: { 'X-Request-Id': 'lambda-test-1' } });
  event.requestContext.identity.sourceIp = '203.0.113.9';
  let statusCode = 0;
  const lines = await stdoutOf(async () => {
    ({ statusCode } = await handler(event, lambdaContext('aws-req-1')));
  });
  assert.equal(statusCode, 200);
  const access = lines.filter((l) => l.message === 'request');
  assert.equal(access.length, 1, JSON.stringify(lines));
  const line = access[0]!;
  const expected = { level: 'INFO', requestId: 'lambda-test-1', clientAddress: '203.0.113.9', method: 'GET', operation: 'ping', status: 200, bytesIn: 0 };
  for (const [field, value] of Object.entries(expected)) {
    assert.equal(line[field], value, field);
  }
  assert.equal(typeof line.timestamp, 'string');
  for (const field of ['bytesOut', 'durationMs']) assert.equal(typeof line[field], 'number', field);

  const blobs = lines.filter((l) => '_aws' in l) as Emf[];
  assert.equal(blobs.length, 1);
  const emf = blobs[0]!;
  const directive = emf._aws.CloudWatchMetrics[0]!;
  assert.equal(directive.Namespace, METRICS_NAMESPACE);
  assert.ok(directive.Dimensions[0]!.includes(OPERATION_DIMENSION));
  assert.equal(emf[OPERATION_DIMENSION], 'ping');
  assert.deepEqual(
    directive.Metrics.map((m) => m.Name).sort(),
    Object.values(LAMBDA_METRICS)
      .map((m) => m.name)
      .sort(),
  );
  assert.equal(emf[LAMBDA_METRICS.requests.name], 1);
  assert.equal(emf[LAMBDA_METRICS.serverErrors.name], 0);
});

test('STOWAGE_LOG_LEVEL=warn silences the access line, not the metrics', async () => {
  process.env[SETTINGS.logLevel.env] = 'warn';
  try {
    const handler = pingHandler();
    const lines = await stdoutOf(() => handler(proxyEvent({ method: 'GET', url: '/v2/' }), lambdaContext('aws-req-2')));
    assert.deepEqual(
      lines.filter((l) => l.message === 'request'),
      [],
    );
    assert.equal(lines.filter((l) => '_aws' in l).length, 1);
  } finally {
    delete process.env[SETTINGS.logLevel.env];
    setLogLevel('info');
  }
});

test('the ping entry writes its access line and no EMF blob', async () => {
  const lines = await stdoutOf(() => pingEntry(proxyEvent({ method: 'GET', url: '/v2/' }), lambdaContext('aws-req-3')));
  assert.equal(lines.filter((l) => l.message === 'request' && l.operation === 'ping' && l.status === 200).length, 1, JSON.stringify(lines));
  assert.deepEqual(
    lines.filter((l) => '_aws' in l),
    [],
  );
});
