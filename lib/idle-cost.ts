/**
 * The idle cost of a synthesized template: what the stack bills by the hour (or month) with no
 * request at all, from list prices. docs/cost.md shows this arithmetic for the default stack and
 * test/cdk/cost.test.ts recomputes it from the template, so the figure cannot drift from what
 * `cdk deploy` creates. Per-request prices (Lambda, API Gateway, S3, DynamoDB, CloudFront) are
 * not here: they are zero when idle.
 *
 * Prices: us-east-1 list prices (AWS pricing pages, read 2026-12-02). Fargate Spot has no
 * fixed price; it is taken as 70% below on-demand, AWS's advertised "up to 70%" discount, so
 * the Spot lines are estimates (docs/cost.md gives the on-demand bound too).
 */

export const HOURS_PER_MONTH = 730;

export const PRICES = {
  region: 'us-east-1',
  date: '2026-12-02',
  /** Fargate Linux/ARM on-demand, per vCPU-hour and per GB-hour. */
  fargateArmVcpuHour: 0.03238,
  fargateArmGbHour: 0.00356,
  /** Fargate Linux/x86 on-demand. */
  fargateX86VcpuHour: 0.04048,
  fargateX86GbHour: 0.004445,
  /** Fargate Spot as a fraction of on-demand (estimate: "up to 70% off"). */
  fargateSpotFactor: 0.3,
  /** Application or Network Load Balancer, per hour (LCUs are billed on traffic: ~0 when idle). */
  loadBalancerHour: 0.0225,
  /** Public IPv4 address, in use or not, per hour. */
  publicIpv4Hour: 0.005,
  /** NAT gateway, per hour (plus its public IPv4 and per-GB processing). */
  natGatewayHour: 0.045,
  /** Interface VPC endpoint, per AZ-hour. */
  interfaceEndpointAzHour: 0.01,
  /** Standard-resolution alarm, per metric it reads, per month. */
  alarmMetricMonth: 0.1,
  /** CloudWatch dashboard, per month (the first three per account are free). */
  dashboardMonth: 3,
  /** Secrets Manager secret, per month. */
  secretMonth: 0.4,
  /** KMS customer managed key, per month. */
  kmsKeyMonth: 1,
  /** WAF web ACL, per month, and per rule. */
  webAclMonth: 5,
  webAclRuleMonth: 1,
} as const;

export interface CostLine {
  readonly item: string;
  /** How the figure comes about, e.g. `1 task x 0.25 vCPU x $0.03238 x 730 h x 0.3 (Spot)`. */
  readonly arithmetic: string;
  readonly monthly: number;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

const usd = (n: number) => `$${n}`;

/** Every hourly- or monthly-billed item of a template, with its arithmetic. */
export function idleCostLines(template: { Resources: Resources }): CostLine[] {
  const resources = Object.entries(template.Resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type).map(([id, r]) => [id, r.Properties ?? {}] as const);
  const lines: CostLine[] = [];
  const h = HOURS_PER_MONTH;

  for (const [id, service] of ofType('AWS::ECS::Service')) {
    const taskId = refOf(service.TaskDefinition);
    const task = template.Resources[taskId ?? '']?.Properties ?? {};
    const tasks = Number(service.DesiredCount ?? 1);
    const vcpu = Number(task.Cpu) / 1024;
    const gb = Number(task.Memory) / 1024;
    const arm = (task.RuntimePlatform as { CpuArchitecture?: string } | undefined)?.CpuArchitecture === 'ARM64';
    const strategies = (service.CapacityProviderStrategy as { CapacityProvider: string }[] | undefined) ?? [];
    const spot = strategies.length > 0 && strategies.every((s) => s.CapacityProvider === 'FARGATE_SPOT');
    const factor = spot ? PRICES.fargateSpotFactor : 1;
    const [vcpuPrice, gbPrice] = arm ? [PRICES.fargateArmVcpuHour, PRICES.fargateArmGbHour] : [PRICES.fargateX86VcpuHour, PRICES.fargateX86GbHour];
    const kind = `Fargate ${arm ? 'ARM' : 'x86'}${spot ? ' Spot' : ''}`;
    const spotNote = spot ? ` x ${factor} (Spot)` : '';
    lines.push({
      item: `${kind} vCPU (${id})`,
      arithmetic: `${tasks} task x ${vcpu} vCPU x ${usd(vcpuPrice)} x ${h} h${spotNote}`,
      monthly: tasks * vcpu * vcpuPrice * h * factor,
    });
    lines.push({
      item: `${kind} memory (${id})`,
      arithmetic: `${tasks} task x ${gb} GB x ${usd(gbPrice)} x ${h} h${spotNote}`,
      monthly: tasks * gb * gbPrice * h * factor,
    });
    const network = service.NetworkConfiguration as { AwsvpcConfiguration?: { AssignPublicIp?: string } } | undefined;
    if (network?.AwsvpcConfiguration?.AssignPublicIp === 'ENABLED') {
      lines.push({ item: `public IPv4 of the tasks (${id})`, arithmetic: `${tasks} x ${usd(PRICES.publicIpv4Hour)} x ${h} h`, monthly: tasks * PRICES.publicIpv4Hour * h });
    }
  }
  for (const [id, lb] of ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    lines.push({ item: `load balancer (${id})`, arithmetic: `${usd(PRICES.loadBalancerHour)} x ${h} h`, monthly: PRICES.loadBalancerHour * h });
    if (lb.Scheme !== 'internal') {
      const azs = ((lb.Subnets as unknown[] | undefined) ?? []).length || 2;
      lines.push({ item: `public IPv4 of the load balancer (${id})`, arithmetic: `${azs} x ${usd(PRICES.publicIpv4Hour)} x ${h} h`, monthly: azs * PRICES.publicIpv4Hour * h });
    }
  }
  const nats = ofType('AWS::EC2::NatGateway').length;
  if (nats > 0) {
    lines.push({
      item: 'NAT gateways and their public IPv4',
      arithmetic: `${nats} x (${usd(PRICES.natGatewayHour)} + ${usd(PRICES.publicIpv4Hour)}) x ${h} h`,
      monthly: nats * (PRICES.natGatewayHour + PRICES.publicIpv4Hour) * h,
    });
  }
  for (const [id, endpoint] of ofType('AWS::EC2::VPCEndpoint')) {
    if (endpoint.VpcEndpointType !== 'Interface') continue; // gateway endpoints (S3, DynamoDB) are free
    const azs = ((endpoint.SubnetIds as unknown[] | undefined) ?? []).length;
    lines.push({
      item: `interface endpoint (${id})`,
      arithmetic: `${azs} AZ x ${usd(PRICES.interfaceEndpointAzHour)} x ${h} h`,
      monthly: azs * PRICES.interfaceEndpointAzHour * h,
    });
  }

  const alarmMetrics = ofType('AWS::CloudWatch::Alarm').reduce(
    (n, [, a]) => n + (Array.isArray(a.Metrics) ? (a.Metrics as { MetricStat?: unknown }[]).filter((m) => m.MetricStat).length : 1),
    0,
  );
  // Target tracking creates two alarms (scale out, scale in) of one metric each, outside the template.
  const trackingAlarms = 2 * ofType('AWS::ApplicationAutoScaling::ScalingPolicy').filter(([, p]) => p.PolicyType === 'TargetTrackingScaling').length;
  if (alarmMetrics > 0)
    lines.push({ item: 'alarms (per metric)', arithmetic: `${alarmMetrics} x ${usd(PRICES.alarmMetricMonth)}`, monthly: alarmMetrics * PRICES.alarmMetricMonth });
  if (trackingAlarms > 0) {
    lines.push({
      item: 'target-tracking alarms (auto scaling)',
      arithmetic: `${trackingAlarms} x ${usd(PRICES.alarmMetricMonth)}`,
      monthly: trackingAlarms * PRICES.alarmMetricMonth,
    });
  }
  const monthly = (type: string, item: string, price: number) => {
    const n = ofType(type).length;
    if (n > 0) lines.push({ item, arithmetic: `${n} x ${usd(price)}`, monthly: n * price });
  };
  monthly('AWS::CloudWatch::Dashboard', 'dashboards', PRICES.dashboardMonth);
  monthly('AWS::SecretsManager::Secret', 'Secrets Manager secrets', PRICES.secretMonth);
  monthly('AWS::KMS::Key', 'KMS keys', PRICES.kmsKeyMonth);
  for (const [id, acl] of ofType('AWS::WAFv2::WebACL')) {
    const rules = ((acl.Rules as unknown[] | undefined) ?? []).length;
    lines.push({
      item: `web ACL (${id})`,
      arithmetic: `${usd(PRICES.webAclMonth)} + ${rules} rules x ${usd(PRICES.webAclRuleMonth)}`,
      monthly: PRICES.webAclMonth + rules * PRICES.webAclRuleMonth,
    });
  }
  return lines;
}

/** The month's idle total in dollars, rounded to cents. */
export function idleCostTotal(lines: readonly CostLine[]): number {
  return Math.round(lines.reduce((sum, l) => sum + l.monthly, 0) * 100) / 100;
}

function refOf(value: unknown): string | undefined {
  const ref = (value as { Ref?: unknown } | undefined)?.Ref;
  return typeof ref === 'string' ? ref : undefined;
}
