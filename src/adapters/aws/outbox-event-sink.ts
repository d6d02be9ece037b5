/**
 * The EventSink of a registry whose DynamoDB table is its event outbox (the serverless stack):
 * publishing does nothing, on purpose.
 *
 * Every committed change is already an item write, and the table's stream (NEW_AND_OLD_IMAGES)
 * carries it to the stream-consumer Lambda, which maps records to events
 * (./stream-events.ts) and publishes them to EventBridge, retrying failed batches and sending
 * what still fails to a DLQ. That gives an event for every committed change even when the
 * writer dies right after its write, which publishing from the request could not. Publishing
 * here as well would send every event twice.
 */
import type { EventSink, RegistryEvent } from '../../ports/event-sink.js';

export class OutboxEventSink implements EventSink {
  async publish(_events: RegistryEvent[]): Promise<void> {}
}
