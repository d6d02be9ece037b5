/**
 * A CloudWatch dashboard of what the registry Lambdas publish per request as embedded metrics
 * (src/shells/observe-emf.ts): requests, 4xx and 5xx answers, latency and bytes, one line per
 * operation. The metric names come from src/shells/observe-metric-names.ts, the module the
 * Lambdas emit them with, so the widgets cannot drift from the figures. Beside the alarms
 * (./alarms.ts), which watch the AWS services' own metrics.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { LAMBDA_METRICS, METRICS_NAMESPACE, METRICS_SERVICE, OPERATION_DIMENSION } from '../src/shells/observe-metric-names.js';

type MetricKey = keyof typeof LAMBDA_METRICS;

export interface RegistryDashboardProps {
  /** The operations to chart (each Lambda's own, the token endpoint's). */
  readonly operations: readonly string[];
  /** @default - CloudFormation names it */
  readonly dashboardName?: string;
}

const PERIOD = Duration.minutes(1);

export class RegistryDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: RegistryDashboardProps) {
    super(scope, id);
    if (props.operations.length === 0) throw new Error('RegistryDashboard: no operations to chart');
    const metric = (key: MetricKey, operation: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: LAMBDA_METRICS[key].name,
        // Powertools adds the service dimension to every metric; a metric is found by its full dimension set.
        dimensionsMap: { service: METRICS_SERVICE, [OPERATION_DIMENSION]: operation },
        statistic,
        period: PERIOD,
        label: operation,
      });
    const graph = (title: string, key: MetricKey, statistic: string) =>
      new cloudwatch.GraphWidget({ title, width: 12, height: 6, left: props.operations.map((op) => metric(key, op, statistic)) });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName && { dashboardName: props.dashboardName }),
      widgets: [
        [graph('Requests per operation', 'requests', 'Sum'), graph('Latency p99 (ms)', 'latency', 'p99')],
        [graph('4xx answers', 'clientErrors', 'Sum'), graph('5xx answers', 'serverErrors', 'Sum')],
        [graph('Bytes in', 'bytesIn', 'Sum'), graph('Bytes out', 'bytesOut', 'Sum')],
      ],
    });
  }
}
