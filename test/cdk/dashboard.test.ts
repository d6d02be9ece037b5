/** The dashboard (an option: $3 a month) charts the metrics the Lambdas emit, and the logLevel prop reaches every request-serving component. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTINGS } from '../../src/config/settings.js';
import { LAMBDA_METRICS, METRICS_NAMESPACE, OPERATION_DIMENSION } from '../../src/shells/observe-metric-names.js';
import { resourcesOfType, synthCached } from './support.js';
import { ROUTES } from '../../src/core/routes.js';

type Widget = { type: string; properties: { metrics: (string | Record<string, unknown>)[][] } };

/** The dashboard body as JSON: CloudFormation writes it as an Fn::Join of text and tokens (the region), which become "TOKEN". */
function dashboardWidgets(): Widget[] {
  const dashboards = resourcesOfType(synthCached({ dashboard: true }).json, 'AWS::CloudWatch::Dashboard');
  assert.equal(dashboards.length, 1);
  const body = dashboards[0]![1].DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

test('the dashboard is an option, off by default (docs/cost.md)', () => {
  assert.equal(resourcesOfType(synthCached().json, 'AWS::CloudWatch::Dashboard').length, 0);
});

test('the dashboard charts each metric the Lambdas emit, in namespace Stowage, per operation with the service dimension', () => {
  const widgets = dashboardWidgets().filter((w) => w.type === 'metric');
  const charted = new Map<string, Set<string>>();
  for (const w of widgets) {
    for (const row of w.properties.metrics) {
      const [namespace, name, ...rest] = row.filter((x): x is string => typeof x === 'string');
      assert.equal(namespace, METRICS_NAMESPACE);
      const dims = Object.fromEntries(rest.flatMap((_, i) => (i % 2 === 0 ? [[rest[i], rest[i + 1]]] : [])));
      assert.equal(dims.service, 'stowage', 'Powertools adds service to every metric: without it the widget finds nothing');
      if (!charted.has(name as string)) charted.set(name as string, new Set());
      charted.get(name as string)?.add(dims[OPERATION_DIMENSION] as string);
    }
  }
  assert.deepEqual(
    [...charted.keys()].sort(),
    Object.values(LAMBDA_METRICS)
      .map((m) => m.name)
      .sort(),
  );
  for (const [name, operations] of charted) {
    for (const operation of ['ping', 'getManifest', 'putUpload', 'token']) assert.ok(operations.has(operation), `${name} for ${operation}`);
  }
});

test('logLevel: the request-serving Lambdas and the upload service get STOWAGE_LOG_LEVEL', () => {
  const s = synthCached({ logLevel: 'warn' });
  const fns = resourcesOfType(s.json, 'AWS::Lambda::Function').filter(([, p]) => /^Stowage( registry|: Docker token)/.test(String(p.Description ?? '')));
  const operations = new Set(ROUTES.map((r) => r.operation)).size;
  assert.equal(fns.length, operations + 1, `the ${operations} operations of the route table and the token endpoint`);
  for (const [id, p] of fns) assert.equal((p.Environment as { Variables: Record<string, string> }).Variables[SETTINGS.logLevel.env], 'warn', id);
  const task = resourcesOfType(s.json, 'AWS::ECS::TaskDefinition')[0]![1] as { ContainerDefinitions: { Environment: { Name: string; Value: string }[] }[] };
  assert.ok(task.ContainerDefinitions[0]!.Environment.some((e) => e.Name === SETTINGS.logLevel.env && e.Value === 'warn'));
});
