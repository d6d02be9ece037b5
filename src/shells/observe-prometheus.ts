/**
 * Prometheus metrics of the node server (`GET /metrics`), fed by the request observer chain
 * (./observe.ts). Node only: prom-client never reaches a Lambda bundle (Lambdas publish the same
 * figures as CloudWatch embedded metrics, ./observe-emf.ts).
 *
 *   stowage_http_requests_total{operation,status,method}    counter
 *   stowage_http_request_duration_seconds{operation}        histogram
 *   stowage_http_request_bytes_total{operation}             counter, request body bytes read
 *   stowage_http_response_bytes_total{operation}            counter, response body bytes written
 *   stowage_uploads_in_flight                               gauge, upload requests being served
 *   stowage_storage_bytes                                   gauge, read on scrape: each linked blob
 *                                                           and manifest once (absent where the
 *                                                           metadata store cannot tell: DynamoDB)
 *   stowage_gc_runs_total{result}                           counter, collections by result: complete,
 *                                                           partial (time budget), skipped (lease), failed
 *   stowage_gc_bytes_freed_total                            counter, blob bytes deleted by collections
 *   stowage_gc_blobs_deleted_total                          counter, blobs deleted by collections
 *   stowage_gc_last_run_timestamp_seconds                   gauge, end of the last collection (any result)
 *   + prom-client's default process metrics (stowage_process_*, stowage_nodejs_*)
 *
 * Labels take bounded values only: operation comes from the route table (or `none`), status is
 * the response's, method is folded to the methods the API uses (others become `OTHER`).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AccessRecord, RequestObserver, RequestStart } from './observe.js';
import type { CollectionReport } from '../core/gc/collector.js';

const UPLOAD_OPERATIONS = new Set(['startUpload', 'patchUpload', 'putUpload']);
const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS']);

export class PrometheusObserver implements RequestObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<'operation' | 'status' | 'method'>;
  private readonly duration: Histogram<'operation'>;
  private readonly bytesIn: Counter<'operation'>;
  private readonly bytesOut: Counter<'operation'>;
  private readonly uploadsInFlight: Gauge;
  private readonly gcRuns: Counter<'result'>;
  private readonly gcBytesFreed: Counter;
  private readonly gcBlobsDeleted: Counter;
  private readonly gcLastRun: Gauge;

  /** @param storedBytes the metadata store's figure (MetadataStore.storedBytes), read on each scrape */
  constructor(storedBytes?: () => Promise<number | null>) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'stowage_http_requests_total',
      help: 'HTTP requests answered, by operation, status and method',
      labelNames: ['operation', 'status', 'method'],
      registers,
    });
    this.duration = new Histogram({
      name: 'stowage_http_request_duration_seconds',
      help: 'Time from request arrival to the end of the response, by operation',
      labelNames: ['operation'],
      // From a cached manifest HEAD (ms) to a large blob moved through the server (minutes).
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.bytesIn = new Counter({ name: 'stowage_http_request_bytes_total', help: 'Request body bytes read, by operation', labelNames: ['operation'], registers });
    this.bytesOut = new Counter({ name: 'stowage_http_response_bytes_total', help: 'Response body bytes written, by operation', labelNames: ['operation'], registers });
    this.uploadsInFlight = new Gauge({ name: 'stowage_uploads_in_flight', help: 'Blob upload requests (POST, PATCH, PUT) being served', registers });
    if (storedBytes) {
      new Gauge({
        name: 'stowage_storage_bytes',
        help: 'Bytes stored: every blob linked to a repository and every manifest, each counted once',
        registers,
        async collect() {
          const bytes = await storedBytes();
          if (bytes !== null) this.set(bytes);
        },
      });
    }
    this.gcRuns = new Counter({ name: 'stowage_gc_runs_total', help: 'Garbage collections, by result', labelNames: ['result'], registers });
    this.gcBytesFreed = new Counter({ name: 'stowage_gc_bytes_freed_total', help: 'Blob bytes deleted by garbage collection', registers });
    this.gcBlobsDeleted = new Counter({ name: 'stowage_gc_blobs_deleted_total', help: 'Blobs deleted by garbage collection', registers });
    this.gcLastRun = new Gauge({ name: 'stowage_gc_last_run_timestamp_seconds', help: 'When the last garbage collection ended (Unix time)', registers });
    collectDefaultMetrics({ register: this.registry, prefix: 'stowage_' });
  }

  /** One collection's outcome (the server's periodic sweep, src/shells/gc-schedule.ts). */
  collected(outcome: CollectionReport | Error): void {
    this.gcLastRun.set(Date.now() / 1000);
    if (outcome instanceof Error) {
      this.gcRuns.inc({ result: 'failed' });
      return;
    }
    this.gcRuns.inc({ result: outcome.skipped ? 'skipped' : outcome.complete ? 'complete' : 'partial' });
    this.gcBytesFreed.inc(outcome.bytesFreed);
    this.gcBlobsDeleted.inc(outcome.blobsDeleted);
  }

  started(start: RequestStart): void {
    if (UPLOAD_OPERATIONS.has(start.operation)) this.uploadsInFlight.inc();
  }

  finished(record: AccessRecord, start: RequestStart): void {
    if (UPLOAD_OPERATIONS.has(start.operation)) this.uploadsInFlight.dec();
    const operation = record.operation;
    this.requests.inc({ operation, status: String(record.status), method: METHODS.has(record.method) ? record.method : 'OTHER' });
    this.duration.observe({ operation }, record.durationMs / 1000);
    if (record.bytesIn > 0) this.bytesIn.inc({ operation }, record.bytesIn);
    if (record.bytesOut > 0) this.bytesOut.inc({ operation }, record.bytesOut);
  }

  /** The exposition text and its content type, for `GET /metrics`. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
