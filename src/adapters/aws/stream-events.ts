/**
 * The relay mapping: a DynamoDB stream record of the metadata table -> the registry event to put
 * on EventBridge, or null. Only the INSERT of an outbox item (written by DynamoDbOutboxSink) is
 * an event; every other record (manifests, tags, uploads, the outbox item's own TTL REMOVE) is
 * ignored: the core is the only producer of events, the stream merely carries its outbox.
 * The event source mapping's filter (lib/events.ts) already drops most of them; this function
 * does not rely on it.
 *
 * Pure: the same record always gives the same event, with the core's event id, so a consumer
 * retrying a batch delivers duplicates a target can recognise (detail `event-id`).
 * Only the new image is read: a NEW_IMAGE stream would do as well as NEW_AND_OLD_IMAGES.
 */
import type { RegistryEvent } from '../../ports/event-sink.js';
import { kindOf } from './dynamodb-keys.js';
import { eventOfOutboxItem } from './dynamodb-outbox.js';

/**
 * An attribute value as it appears in a stream record delivered to Lambda (JSON): binary values
 * are base64 text there, Uint8Array when read through the SDK.
 */
export interface StreamAttributeValue {
  S?: string;
  N?: string;
  B?: string | Uint8Array;
  SS?: string[];
  NS?: string[];
  BS?: (string | Uint8Array)[];
  M?: Record<string, StreamAttributeValue>;
  L?: StreamAttributeValue[];
  NULL?: boolean;
  BOOL?: boolean;
}

/** The documented DynamoDB Streams record (as in a Lambda DynamoDBStreamEvent), the parts we read. */
export interface DynamoDBStreamRecordLike {
  eventID?: string;
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE' | string;
  eventSource?: string;
  dynamodb?: {
    ApproximateCreationDateTime?: number;
    Keys?: Record<string, StreamAttributeValue>;
    NewImage?: Record<string, StreamAttributeValue>;
    OldImage?: Record<string, StreamAttributeValue>;
    SequenceNumber?: string;
    StreamViewType?: string;
  };
}

/**
 * The event an outbox INSERT carries; null for any other record. Throws when an outbox INSERT
 * cannot be read (no new image, a malformed event), so that the consumer stops and retries there.
 */
export function outboxEventOf(record: DynamoDBStreamRecordLike): RegistryEvent | null {
  if (record.eventName !== 'INSERT') return null;
  const keys = record.dynamodb?.Keys ?? {};
  if (kindOf({ PK: keys.PK?.S, SK: keys.SK?.S }) !== 'outbox') return null;
  const image = record.dynamodb?.NewImage;
  if (!image) throw new Error(`outbox record ${record.eventID ?? '?'} has no new image (the stream must carry new images)`);
  return eventOfOutboxItem(image);
}

/** The events of a batch, in record order. */
export function outboxEventsOf(records: readonly DynamoDBStreamRecordLike[]): RegistryEvent[] {
  return records.flatMap((r) => outboxEventOf(r) ?? []);
}
