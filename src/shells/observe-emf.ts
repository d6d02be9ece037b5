/**
 * The Lambda's metrics observer: each request's figures as CloudWatch embedded metrics (EMF,
 * one JSON blob on stdout that CloudWatch turns into metrics), through the Powertools metrics
 * utility, named in ./observe-metric-names.ts (which lib/dashboard.ts reads too).
 *
 * Published at the end of every request rather than buffered: a Lambda serves one request at a
 * time, and a blob per request keeps each invocation's figures in its own log stream lines.
 */
import { Metrics, type MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RequestObserver } from './observe.js';
import { LAMBDA_METRICS, METRICS_NAMESPACE, METRICS_SERVICE, OPERATION_DIMENSION } from './observe-metric-names.js';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export function emfMetrics(metrics: Metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE })): RequestObserver {
  const add = (metric: { name: string; unit: string }, value: number) => metrics.addMetric(metric.name, metric.unit as Unit, value);
  return {
    finished(record) {
      metrics.addDimension(OPERATION_DIMENSION, record.operation);
      add(LAMBDA_METRICS.requests, 1);
      add(LAMBDA_METRICS.clientErrors, record.status >= 400 && record.status < 500 ? 1 : 0);
      add(LAMBDA_METRICS.serverErrors, record.status >= 500 ? 1 : 0);
      add(LAMBDA_METRICS.latency, record.durationMs);
      add(LAMBDA_METRICS.bytesIn, record.bytesIn);
      add(LAMBDA_METRICS.bytesOut, record.bytesOut);
      metrics.publishStoredMetrics();
    },
  };
}
