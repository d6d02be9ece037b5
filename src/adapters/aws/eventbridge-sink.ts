/**
 * EventBridge publisher, two ways:
 * - publish(), the best-effort EventSink of the container deployment (`--events eventbridge`):
 *   runs after the request's change and never fails it;
 * - publishUntilFailure(), for the serverless stack's outbox relay (the stream consumer), which
 *   must know what did not arrive so that the batch is retried.
 * Each registry event becomes one entry whose Source, DetailType, Time and Detail come from the
 * same payload the webhook and the event log send (eventPayload).
 */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DEFAULT_DETAIL_TYPE, eventPayload } from '../../core/event-payload.js';
import type { EventSink, RegistryEvent } from '../../ports/event-sink.js';
import { log as processLog } from '../../log/logger.js';

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES_PER_CALL = 10;

export interface EventBridgeSinkOptions {
  client: EventBridgeClient;
  eventBusName: string;
  detailType?: string;
  log?: (message: string) => void;
}

export class EventBridgeEventSink implements EventSink {
  private readonly detailType: string;
  private readonly log: (message: string) => void;

  constructor(private readonly options: EventBridgeSinkOptions) {
    this.detailType = options.detailType ?? DEFAULT_DETAIL_TYPE;
    this.log = options.log ?? ((m) => processLog.error(m));
  }

  toEntry(event: RegistryEvent): PutEventsRequestEntry {
    const payload = eventPayload(event, this.detailType);
    return {
      EventBusName: this.options.eventBusName,
      Source: payload.source,
      DetailType: payload['detail-type'],
      Time: new Date(payload.time),
      Resources: [],
      Detail: JSON.stringify(payload.detail),
    };
  }

  /** Sends every event, 10 per PutEvents call; failures are logged, never thrown (the request that caused them succeeded). */
  async publish(events: RegistryEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_ENTRIES_PER_CALL) {
      const batch = events.slice(i, i + MAX_ENTRIES_PER_CALL);
      const outcome = await this.putBatch(batch);
      if (outcome.kind === 'call-failed') {
        this.log(`EventBridge PutEvents failed for ${batch.length} events: ${outcome.message}`);
        continue;
      }
      for (const refused of outcome.refused) this.log(`EventBridge refused event ${batch[refused.index]?.id}: ${refused.reason}`);
    }
  }

  /**
   * For a publisher that must retry what did not arrive (the stream consumer): sends the events
   * in order, 10 per call, and stops at the first call that fails or refuses an entry. Returns
   * the index of the first event that did not reach the bus (events after it may have), with the
   * reason, or null when all arrived. Never throws; logs nothing.
   */
  async publishUntilFailure(events: RegistryEvent[]): Promise<PublishFailure | null> {
    for (let i = 0; i < events.length; i += MAX_ENTRIES_PER_CALL) {
      const outcome = await this.putBatch(events.slice(i, i + MAX_ENTRIES_PER_CALL));
      if (outcome.kind === 'call-failed') return { index: i, reason: `PutEvents failed: ${outcome.message}` };
      const first = outcome.refused[0];
      if (first) return { index: i + first.index, reason: `EventBridge refused the event: ${first.reason}` };
    }
    return null;
  }

  /** One PutEvents call (at most 10 entries) and what it did not deliver. */
  private async putBatch(batch: RegistryEvent[]): Promise<BatchOutcome> {
    try {
      const out = await this.options.client.send(new PutEventsCommand({ Entries: batch.map((e) => this.toEntry(e)) }));
      if (!out.FailedEntryCount) return { kind: 'sent', refused: [] };
      const refused = (out.Entries ?? []).flatMap((entry, index) => (entry.ErrorCode ? [{ index, reason: `${entry.ErrorCode} ${entry.ErrorMessage ?? ''}` }] : []));
      // A failure count without per-entry results: nothing is known to have arrived.
      return { kind: 'sent', refused: refused.length > 0 ? refused : [{ index: 0, reason: `${out.FailedEntryCount} entries failed` }] };
    } catch (err) {
      return { kind: 'call-failed', message: (err as Error).message };
    }
  }
}

export interface PublishFailure {
  /** Index of the first event that did not reach the bus. */
  index: number;
  reason: string;
}

type BatchOutcome = { kind: 'sent'; refused: { index: number; reason: string }[] } | { kind: 'call-failed'; message: string };
