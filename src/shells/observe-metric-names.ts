/**
 * The CloudWatch metrics the Lambdas publish (./observe-emf.ts) and the dashboard shows
 * (lib/dashboard.ts): one definition, so a renamed metric cannot leave an empty widget behind.
 * The node server exposes the same figures to Prometheus under its own names
 * (./observe-prometheus.ts).
 *
 * Each is emitted once per request, as CloudWatch embedded metrics, in namespace `Stowage`
 * with the dimensions `service` (Powertools' own, always `stowage`) and `operation`.
 */
export const METRICS_NAMESPACE = 'Stowage';
export const METRICS_SERVICE = 'stowage';
export const OPERATION_DIMENSION = 'operation';

/** Name and unit (Powertools' MetricUnit values) of each metric. */
export const LAMBDA_METRICS = {
  /** 1 per request. */
  requests: { name: 'Requests', unit: 'Count' },
  /** 1 per 4xx answer (refusals, not-found: the client's to fix). */
  clientErrors: { name: 'ClientErrors', unit: 'Count' },
  /** 1 per 5xx answer (ours to fix). */
  serverErrors: { name: 'ServerErrors', unit: 'Count' },
  /** Milliseconds from the event's arrival in the handler to its result. */
  latency: { name: 'Latency', unit: 'Milliseconds' },
  /** Request body bytes. */
  bytesIn: { name: 'BytesIn', unit: 'Bytes' },
  /** Response body bytes. */
  bytesOut: { name: 'BytesOut', unit: 'Bytes' },
} as const;
