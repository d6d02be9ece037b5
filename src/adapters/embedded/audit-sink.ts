/**
 * The embedded AuditSink: one JSON object per line in `<data-dir>/audit.jsonl`, appended in
 * order. A failed write is reported on stderr and never fails the request it describes.
 */
import { appendFile } from 'node:fs/promises';
import { PRIVATE_FILE } from './paths.js';
import type { AuditRecord, AuditSink } from '../../ports/audit-sink.js';
import { log as processLog } from '../../log/logger.js';

export class JsonLinesAuditSink implements AuditSink {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly log: (message: string) => void = (m) => processLog.error(m),
  ) {}

  record(entry: AuditRecord): Promise<void> {
    // Chained, so lines land in the order requests finished even when appends overlap.
    this.queue = this.queue
      .then(() => appendFile(this.path, `${JSON.stringify(entry)}\n`, { mode: PRIVATE_FILE }))
      .catch((err: Error) => {
        this.log(`audit log ${this.path}: ${err.message}`);
      });
    return this.queue;
  }
}
