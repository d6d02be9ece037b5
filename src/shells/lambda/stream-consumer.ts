/**
 * The DynamoDB stream consumer: the outbox's relay. The core writes each event it emits as an
 * outbox item (DynamoDbOutboxSink) before the request is answered; this consumer reads the
 * items' INSERT records from the metadata table's stream (outboxEventOf, pure; every other
 * record is ignored) and puts the events on EventBridge in record order. With
 * ReportBatchItemFailures on the event source mapping, the answer names the first record not
 * published; Lambda then retries from that record on (the records before it are done), and after
 * the mapping's retry limit sends it to the DLQ. So a failed publish is retried or parked, never
 * lost.
 *
 * A retried record publishes its event again with the same `event-id`, which EventBridge
 * targets can recognise as a duplicate. An outbox record that cannot be read stops the batch at
 * that record in the same way.
 */
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeEventSink, type PublishFailure } from '../../adapters/aws/eventbridge-sink.js';
import { outboxEventOf, type DynamoDBStreamRecordLike } from '../../adapters/aws/stream-events.js';
import type { RegistryEvent } from '../../ports/event-sink.js';
import { jsonRecordsTo, log as processLog } from '../../log/logger.js';
import { streamConsumerConfigFromEnv } from './config.js';

/** What the consumer needs of a publisher (EventBridgeEventSink has it). */
export interface OrderedPublisher {
  publishUntilFailure(events: RegistryEvent[]): Promise<PublishFailure | null>;
}

export interface StreamConsumerOptions {
  publisher: () => OrderedPublisher;
  /** One JSON line per batch. @default the process logger (src/log) */
  log?: (line: string) => void;
}

export type StreamHandler = (event: DynamoDBStreamEvent, context?: Pick<Context, 'awsRequestId'>) => Promise<DynamoDBBatchResponse>;

export function streamConsumer(options: StreamConsumerOptions): StreamHandler {
  const log = options.log ?? jsonRecordsTo(processLog, 'info', 'stream batch');
  return async (event, context) => {
    const records = (event.Records ?? []) as DynamoDBStreamRecordLike[];
    const events: RegistryEvent[] = [];
    const recordOf: number[] = []; // events[i] came from records[recordOf[i]]
    let failedRecord: number | undefined;
    let reason: string | undefined;
    for (const [i, record] of records.entries()) {
      try {
        const e = outboxEventOf(record);
        if (e) {
          events.push(e);
          recordOf.push(i);
        }
      } catch (err) {
        failedRecord = i;
        reason = `record ${record.eventID ?? i} could not be mapped: ${(err as Error).message}`;
        break;
      }
    }
    const failure = events.length > 0 ? await options.publisher().publishUntilFailure(events) : null;
    if (failure) {
      failedRecord = recordOf[failure.index];
      reason = failure.reason;
    }
    const line: Record<string, unknown> = { requestId: context?.awsRequestId ?? null, records: records.length, events: events.length };
    if (failedRecord === undefined) {
      log(JSON.stringify({ ...line, published: events.length }));
      return { batchItemFailures: [] };
    }
    const sequenceNumber = records[failedRecord]?.dynamodb?.SequenceNumber;
    log(
      JSON.stringify({
        ...line,
        published: failure ? failure.index : events.length,
        failedRecord: records[failedRecord]?.eventID ?? null,
        sequenceNumber: sequenceNumber ?? null,
        reason,
      }),
    );
    // Without a sequence number the failure cannot be named: failing the whole batch retries it all.
    if (!sequenceNumber) throw new Error(`stream batch not fully published and record ${failedRecord} has no SequenceNumber: ${reason}`);
    return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
  };
}

let containerSink: EventBridgeEventSink | undefined;

/**
 * The container's publisher, built on first use from STOWAGE_EVENT_BUS (required) and
 * STOWAGE_EVENT_DETAIL_TYPE (default "Stowage Image Action"); one EventBridge client per container.
 */
export function eventBridgePublisherFromEnv(env: NodeJS.ProcessEnv = process.env): EventBridgeEventSink {
  if (!containerSink) {
    containerSink = new EventBridgeEventSink({ client: new EventBridgeClient({}), ...streamConsumerConfigFromEnv(env) });
  }
  return containerSink;
}
