/**
 * The EventSink of the serverless stack: the durable half of its event outbox. publish() writes
 * each event as an outbox item into the metadata table (dynamodb-outbox.ts), one BatchWriteItem
 * per 25 events, and resolves only when every item is written; otherwise it rejects, the core
 * lets the request fail, and the client's retry emits the events again. The table's stream then
 * carries each item's INSERT to the stream consumer, which relays it to EventBridge with retries
 * and a DLQ (src/shells/lambda/stream-consumer.ts). The argument that no acknowledged change
 * loses its event is in docs/events.md.
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { EventSink, RegistryEvent } from '../../ports/event-sink.js';
import { outboxItem } from './dynamodb-outbox.js';

/** BatchWriteItem takes at most 25 requests. */
const BATCH_WRITE_MAX = 25;
/** Retries of items DynamoDB left unprocessed (throttling), with a backoff of up to 1 s each. */
const MAX_UNPROCESSED_RETRIES = 8;

export interface DynamoDbOutboxSinkOptions {
  client: DynamoDBClient;
  tableName: string;
}

export class DynamoDbOutboxSink implements EventSink {
  constructor(private readonly options: DynamoDbOutboxSinkOptions) {}

  async publish(events: RegistryEvent[]): Promise<void> {
    const table = this.options.tableName;
    for (let i = 0; i < events.length; i += BATCH_WRITE_MAX) {
      let requests: WriteRequest[] = events.slice(i, i + BATCH_WRITE_MAX).map((e) => ({ PutRequest: { Item: outboxItem(e) } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > MAX_UNPROCESSED_RETRIES) throw new Error(`event outbox: BatchWriteItem left ${requests.length} events unwritten`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const out = await this.options.client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
        requests = out.UnprocessedItems?.[table] ?? [];
      }
    }
  }
}
