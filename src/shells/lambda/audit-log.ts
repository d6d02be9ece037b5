/**
 * The Lambda AuditSink: each record as one JSON line on stdout, which Lambda sends to the
 * function's CloudWatch log group, marked so a metric filter or Logs Insights query can select
 * audit lines (`{ $.audit = "stowage" }`):
 *
 *   {"audit":"stowage","time":"…","principal":"alice","principalKind":"user","method":"PUT",…}
 *
 * The record never holds a secret (see ports/audit-sink.ts); writing cannot fail the request.
 */
import type { AuditRecord, AuditSink } from '../../ports/audit-sink.js';
import { jsonRecordsTo, log as processLog } from '../../log/logger.js';

export class LogAuditSink implements AuditSink {
  constructor(private readonly log: (line: string) => void = jsonRecordsTo(processLog, 'info', 'audit')) {}

  async record(entry: AuditRecord): Promise<void> {
    try {
      this.log(JSON.stringify({ audit: 'stowage', ...entry }));
    } catch {
      // a logger that throws must not fail the request it describes
    }
  }
}
