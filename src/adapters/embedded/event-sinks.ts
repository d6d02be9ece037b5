/**
 * Embedded event sinks: a JSON-lines log in the data directory (best-effort: a failed write is
 * logged, never thrown at the request whose change is already committed), and the fan-out.
 * Webhooks go through the persistent outbox of ./event-outbox.ts.
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

/** Sends every event to each sink in turn. */
export class FanOutEventSink implements EventSink {
  constructor(private readonly sinks: EventSink[]) {}

  async publish(events: RegistryEvent[]): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.publish(events)));
  }
}
