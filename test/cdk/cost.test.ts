/**
 * The idle cost, recomputed from the synthesized template (lib/idle-cost.ts): the default stack
 * stays within $25 a month, and docs/cost.md shows exactly the figures the template gives, so
 * neither can drift from what `cdk deploy` creates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { idleCostLines, idleCostTotal } from '../../lib/idle-cost.js';
import { PACKAGE_ROOT } from '../../lib/stowage-registry.js';
import { synthCached } from './support.js';

const IDLE_BUDGET_USD = 25;

test('the default stack idles within $25 a month, and docs/cost.md shows its lines and total', () => {
  const lines = idleCostLines(synthCached().json);
  const total = idleCostTotal(lines);
  assert.ok(total <= IDLE_BUDGET_USD, `idle cost $${total} a month`);
  const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'cost.md'), 'utf8');
  assert.match(doc, new RegExp(`Idle total, default stack: \\*\\*\\$${total.toFixed(2).replace('.', '\\.')} a month\\*\\*`), `docs/cost.md names the total $${total.toFixed(2)}`);
  for (const line of lines) {
    const row = `| ${line.arithmetic} | $${line.monthly.toFixed(2)} |`;
    assert.ok(doc.includes(row), `docs/cost.md has the row "${row}"`);
  }
});

test('what bills by the hour is counted: more and larger on-demand tasks, a NAT gateway, the dashboard, access logs', () => {
  const base = idleCostTotal(idleCostLines(synthCached().json));
  const big = idleCostLines(synthCached({ uploadService: { desiredCount: 2, cpu: 1024, memoryMiB: 2048, spot: false, natGateways: 1 }, dashboard: true }).json);
  const item = (re: RegExp) => big.filter((l) => re.test(l.item)).reduce((s, l) => s + l.monthly, 0);
  // 2 x 1 vCPU x $0.03238 x 730 h; 2 x 2 GB x $0.00356 x 730 h; one NAT with its address; one dashboard.
  assert.equal(item(/Fargate ARM vCPU/).toFixed(2), '47.27');
  assert.equal(item(/Fargate ARM memory/).toFixed(2), '10.40');
  assert.equal(item(/NAT/).toFixed(2), (0.05 * 730).toFixed(2));
  assert.equal(item(/dashboards/), 3);
  // Private subnets with a NAT: the tasks need no public address.
  assert.equal(item(/public IPv4 of the tasks/), 0);
  assert.ok(idleCostTotal(big) > base + 60);
  // The upload service off: no load balancer, no task; what is left is alarms and the API key's secret.
  const off = idleCostTotal(idleCostLines(synthCached({ uploadService: { enabled: false } }).json));
  assert.ok(off < 2, `without the upload service $${off}`);
});
