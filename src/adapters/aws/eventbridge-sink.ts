/**
 * EventBridge EventSink for the embedded and container deployments (the serverless stack
 * publishes from the DynamoDB stream instead; a deployment never uses both). Each registry
 * event becomes one entry on the bus, source `stowage`, with the ECR-like detail.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DEFAULT_DETAIL_TYPE, EVENT_SOURCE, eventDetail } from '../../core/events.js';
import type { EventSink, RegistryEvent } from '../../ports/event-sink.js';

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
    this.log = options.log ?? ((m) => console.error(m));
  }

  toEntry(event: RegistryEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.options.eventBusName,
      Source: EVENT_SOURCE,
      DetailType: this.detailType,
      Time: new Date(event.time),
      Resources: [],
      Detail: JSON.stringify(eventDetail(event)),
    };
  }

  async publish(events: RegistryEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_ENTRIES_PER_CALL) {
      const batch = events.slice(i, i + MAX_ENTRIES_PER_CALL);
      try {
        const out = await this.options.client.send(new PutEventsCommand({ Entries: batch.map((e) => this.toEntry(e)) }));
        if (out.FailedEntryCount) {
          out.Entries?.forEach((entry, j) => {
            if (entry.ErrorCode) this.log(`EventBridge refused event ${batch[j]?.id}: ${entry.ErrorCode} ${entry.ErrorMessage ?? ''}`);
          });
        }
      } catch (err) {
        this.log(`EventBridge PutEvents failed for ${batch.length} events: ${(err as Error).message}`);
      }
    }
  }
}
