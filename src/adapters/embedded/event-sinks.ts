/**
 * Embedded event sinks: a JSON-lines log in the data directory, and webhooks that receive each
 * event's payload (src/core/event-payload.ts) as a JSON POST. Both are best-effort: delivery
 * failures are logged, never thrown at the request whose change is already committed.
 */
import { appendFile } from 'node:fs/promises';
import { PRIVATE_FILE } from './paths.js';
import { eventPayload } from '../../core/event-payload.js';
import type { EventSink, RegistryEvent } from '../../ports/event-sink.js';
import { log as processLog } from '../../log/logger.js';

const defaultLog = (message: string) => processLog.error(message);

export class JsonLinesEventSink implements EventSink {
  constructor(
    private readonly path: string,
    private readonly log: (message: string) => void = defaultLog,
  ) {}

  async publish(events: RegistryEvent[]): Promise<void> {
    try {
      await appendFile(this.path, events.map((e) => `${JSON.stringify(eventPayload(e))}\n`).join(''), { mode: PRIVATE_FILE });
    } catch (err) {
      this.log(`event log ${this.path} could not be written (${events.length} events lost): ${(err as Error).message}`);
    }
  }
}

export class WebhookEventSink implements EventSink {
  constructor(
    private readonly urls: string[],
    private readonly timeoutMs = 5000,
    private readonly log: (message: string) => void = defaultLog,
  ) {}

  async publish(events: RegistryEvent[]): Promise<void> {
    const deliveries = this.urls.flatMap((url) => events.map((e) => this.deliver(url, e)));
    await Promise.all(deliveries);
  }

  private async deliver(url: string, event: RegistryEvent): Promise<void> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(eventPayload(event)),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!res.ok) this.log(`webhook ${url} answered ${res.status} for event ${event.id}`);
      await res.body?.cancel();
    } catch (err) {
      this.log(`webhook ${url} failed for event ${event.id}: ${(err as Error).message}`);
    }
  }
}

/** Sends every event to each sink in turn. */
export class FanOutEventSink implements EventSink {
  constructor(private readonly sinks: EventSink[]) {}

  async publish(events: RegistryEvent[]): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.publish(events)));
  }
}
