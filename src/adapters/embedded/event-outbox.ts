/**
 * Webhook deliveries through a persistent outbox in the metadata database (table event_outbox,
 * migration step 2 in sqlite-migrations.ts), so that no acknowledged change loses its event and no
 * push waits on a slow receiver:
 *
 * - OutboxEventSink is a durable sink (src/ports/event-sink.ts): publish() inserts one row per
 *   event and webhook URL in one transaction (synchronous=FULL: on disk when it resolves) and
 *   rejects when it cannot, so the request fails and the client's retry emits again. The core
 *   publishes after the change is committed and before it answers: a 201 means the event is in
 *   the outbox.
 * - WebhookDeliveryWorker delivers due rows in the background, oldest first: a 2xx removes the
 *   row; anything else (refusal, timeout, no connection) schedules the next attempt with
 *   exponential backoff (base * 2^(attempts-1), at most MAX_BACKOFF_MS, with jitter) until the
 *   attempt limit, when the row joins the dead-letter list (dead_at set; `stowage check` lists
 *   it). A process killed mid-delivery leaves the row, which the next start delivers again:
 *   delivery is at least once, and the payload's id is the same in every copy.
 * - With a secret, each delivery carries `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the
 *   body>`, as GitHub's webhooks do, so a receiver can check it came from this registry.
 */
import { createHmac } from 'node:crypto';
import type Database from 'better-sqlite3';
import { eventPayload } from '../../core/event-payload.js';
import type { EventSink, RegistryEvent } from '../../ports/event-sink.js';
import type { Logger } from '../../ports/logger.js';
import { openMetadataDb } from './sqlite-metadata-store.js';

/** The longest wait between two attempts of one delivery. */
const MAX_BACKOFF_MS = 10 * 60_000;
/** Rows fetched per round; a round delivers them one by one, in order. */
const BATCH = 20;

export const SIGNATURE_HEADER = 'x-hub-signature-256';
export const EVENT_ID_HEADER = 'x-stowage-event-id';

export interface OutboxOptions {
  urls: string[];
  /** HMAC-SHA256 key for X-Hub-Signature-256; no header without it. */
  secret?: string;
  /** Attempts before a delivery joins the dead-letter list. */
  maxAttempts: number;
  /** The first retry's delay; each later one doubles it. */
  retryBaseMs: number;
  /** One delivery's timeout. */
  timeoutMs?: number;
  /** How often due rows are looked for when nothing wakes the worker. */
  pollMs?: number;
}

/** `sha256=<hex>` of `body` under `secret`: what X-Hub-Signature-256 carries. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

interface OutboxRow {
  id: number;
  target: string;
  event_id: string;
  payload: string;
  attempts: number;
}

export class OutboxEventSink implements EventSink {
  constructor(
    private readonly db: Database.Database,
    private readonly urls: string[],
    private readonly wake: () => void = () => {},
  ) {}

  async publish(events: RegistryEvent[]): Promise<void> {
    const insert = this.db.prepare('INSERT INTO event_outbox (target, event_id, payload, created_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, 0, ?)');
    const now = Date.now();
    this.db.transaction(() => {
      for (const event of events) {
        const payload = JSON.stringify(eventPayload(event));
        for (const url of this.urls) insert.run(url, event.id, payload, new Date(now).toISOString(), now);
      }
    })();
    this.wake();
  }
}

export class WebhookDeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly db: Database.Database,
    private readonly options: OutboxOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Looks for due deliveries now (after a publish), or right after the round in progress. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops delivering; a delivery in flight is aborted and stays in the outbox for the next start. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.round().finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        const again = this.again;
        this.again = false;
        this.schedule(again ? 0 : this.nextDueIn());
      });
    }, ms);
    this.timer.unref();
  }

  /** Milliseconds until the next row is due (capped by the poll interval). */
  private nextDueIn(): number {
    const poll = this.options.pollMs ?? 5000;
    const row = this.db.prepare('SELECT MIN(next_attempt_at) AS due FROM event_outbox WHERE dead_at IS NULL').get() as { due: number | null };
    return row.due === null ? poll : Math.max(0, Math.min(poll, row.due - Date.now()));
  }

  private async round(): Promise<void> {
    try {
      const due = this.db
        .prepare('SELECT id, target, event_id, payload, attempts FROM event_outbox WHERE dead_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?')
        .all(Date.now(), BATCH) as OutboxRow[];
      for (const row of due) {
        if (this.stopped) return;
        await this.deliver(row);
      }
      if (due.length === BATCH) this.again = true;
    } catch (err) {
      if (!this.stopped) this.log.error(`event outbox: ${(err as Error).message}`);
    }
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json', [EVENT_ID_HEADER]: row.event_id };
    if (this.options.secret) headers[SIGNATURE_HEADER] = signature(this.options.secret, row.payload);
    let problem: string;
    try {
      const res = await fetch(row.target, {
        method: 'POST',
        headers,
        body: row.payload,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.timeoutMs ?? 10_000)]),
      });
      await res.body?.cancel();
      if (res.ok) {
        this.db.prepare('DELETE FROM event_outbox WHERE id = ?').run(row.id);
        return;
      }
      problem = `answered ${res.status}`;
    } catch (err) {
      if (this.stopped) return;
      problem = (err as Error).message;
    }
    const attempts = row.attempts + 1;
    if (attempts >= this.options.maxAttempts) {
      this.db.prepare('UPDATE event_outbox SET attempts = ?, last_error = ?, dead_at = ? WHERE id = ?').run(attempts, problem, new Date().toISOString(), row.id);
      this.log.error(`webhook ${row.target} failed ${attempts} times for event ${row.event_id} (${problem}): moved to the dead-letter list (stowage check lists it)`);
      return;
    }
    const backoff = Math.min(MAX_BACKOFF_MS, this.options.retryBaseMs * 2 ** (attempts - 1));
    const delay = Math.round(backoff * (0.75 + Math.random() * 0.5));
    this.db.prepare('UPDATE event_outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?').run(attempts, problem, Date.now() + delay, row.id);
    this.log.warn(`webhook ${row.target} ${problem} for event ${row.event_id}: attempt ${attempts} of ${this.options.maxAttempts}, next in ${delay} ms`);
  }
}

/** The outbox of the data directory's metadata database: its sink and its delivery worker. */
export function openWebhookOutbox(dbPath: string, options: OutboxOptions, log: Logger): { sink: EventSink; worker: WebhookDeliveryWorker; close(): void } {
  const db = openMetadataDb(dbPath);
  const worker = new WebhookDeliveryWorker(db, options, log);
  const sink = new OutboxEventSink(db, options.urls, () => worker.wake());
  worker.start();
  return {
    sink,
    worker,
    close: () => {
      worker.stop();
      db.close();
    },
  };
}

/** Deliveries that reached the attempt limit, for `stowage check` (none before the table exists). */
export function deadLetters(db: Database.Database): { id: string; detail: string }[] {
  const rows = db.prepare('SELECT event_id, target, attempts, last_error, dead_at FROM event_outbox WHERE dead_at IS NOT NULL ORDER BY id').all() as {
    event_id: string;
    target: string;
    attempts: number;
    last_error: string | null;
    dead_at: string;
  }[];
  return rows.map((r) => ({ id: r.event_id, detail: `webhook ${r.target} not delivered after ${r.attempts} attempts (last: ${r.last_error ?? 'unknown'}; since ${r.dead_at})` }));
}
