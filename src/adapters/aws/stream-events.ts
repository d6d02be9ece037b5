/**
 * The outbox mapping: DynamoDB stream records of the metadata table -> registry events. Pure
 * (no clock, no randomness, no I/O): the same record always gives the same events, with the
 * record's eventID as the event id, so a consumer retrying a batch publishes duplicates that
 * EventBridge targets can recognise.
 *
 * The core publishes, for a manifest PUT with tags, one PUSH per tag; without tags one PUSH with
 * tag null; for DELETE by tag one DELETE with the tag; for DELETE by digest one DELETE per
 * removed tag plus one with tag null. The table's writes give the same set:
 *
 *   tag item       INSERT                      -> PUSH   (tag, fields copied from its manifest)
 *   tag item       MODIFY to another digest    -> PUSH   of the new digest
 *   tag item       MODIFY, same digest         -> none   (an idempotent re-put)
 *   tag item       REMOVE                      -> DELETE (tag)
 *   manifest item  INSERT with empty pushTags  -> PUSH   (tag null); with pushTags the tag items speak
 *   manifest item  MODIFY                      -> none   (a re-put of the same bytes)
 *   manifest item  REMOVE                      -> DELETE (tag null)
 *   anything else (catalog, blob links, referrers, TAGOF entries, uploads) -> none
 *
 * Differences from the core's direct events, by construction: an idempotent re-push gives no
 * event here; DELETE events have actor null (a REMOVE record carries only the old image, whose
 * actor is the pusher). The stream must be NEW_AND_OLD_IMAGES.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { RegistryEvent } from '../../ports/event-sink.js';
import { ATTR, kindOf } from './dynamodb-keys.js';
import { digestOf, eventFieldsOf, pushTagsOf, tagOf, type EventFields, type Item } from './dynamodb-items.js';

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

export function eventsFromStreamBatch(records: readonly DynamoDBStreamRecordLike[]): RegistryEvent[] {
  return records.flatMap((r) => eventsFromStreamRecord(r));
}

export function eventsFromStreamRecord(record: DynamoDBStreamRecordLike): RegistryEvent[] {
  const data = record.dynamodb;
  if (!data) return [];
  const newImage = data.NewImage ? toItem(data.NewImage) : null;
  const oldImage = data.OldImage ? toItem(data.OldImage) : null;
  const kind = kindOf(newImage ?? oldImage ?? (data.Keys ? toItem(data.Keys) : {}));
  const make = (action: RegistryEvent['action'], fields: EventFields, tag: string | null, image: Item): RegistryEvent[] => [
    {
      id: eventId(record),
      time: eventTime(data.ApproximateCreationDateTime, image),
      result: 'SUCCESS',
      action,
      repository: fields.repository,
      digest: fields.digest,
      tag,
      mediaType: fields.mediaType,
      artifactType: fields.artifactType,
      size: fields.size,
      actor: action === 'DELETE' ? null : fields.actor,
    },
  ];

  if (kind === 'tag') {
    switch (record.eventName) {
      case 'INSERT':
        return newImage ? make('PUSH', eventFieldsOf(newImage), tagOf(newImage), newImage) : [];
      case 'MODIFY':
        if (!newImage) return [];
        if (oldImage && digestOf(oldImage) === digestOf(newImage)) return [];
        return make('PUSH', eventFieldsOf(newImage), tagOf(newImage), newImage);
      case 'REMOVE':
        return oldImage ? make('DELETE', eventFieldsOf(oldImage), tagOf(oldImage), oldImage) : [];
      default:
        return [];
    }
  }
  if (kind === 'manifest') {
    if (record.eventName === 'INSERT' && newImage && pushTagsOf(newImage).length === 0) {
      return make('PUSH', eventFieldsOf(newImage), null, newImage);
    }
    if (record.eventName === 'REMOVE' && oldImage) return make('DELETE', eventFieldsOf(oldImage), null, oldImage);
  }
  return [];
}

/** Stream JSON -> SDK attribute values (base64 binaries to bytes) -> a plain item. */
function toItem(image: Record<string, StreamAttributeValue>): Item {
  return unmarshall(Object.fromEntries(Object.entries(image).map(([k, v]) => [k, toSdk(v)])));
}

function toSdk(v: StreamAttributeValue): AttributeValue {
  const bytes = (b: string | Uint8Array) => (typeof b === 'string' ? Buffer.from(b, 'base64') : b);
  if (v.B !== undefined) return { B: bytes(v.B) };
  if (v.BS !== undefined) return { BS: v.BS.map(bytes) };
  if (v.M !== undefined) return { M: Object.fromEntries(Object.entries(v.M).map(([k, x]) => [k, toSdk(x)])) };
  if (v.L !== undefined) return { L: v.L.map(toSdk) };
  return v as AttributeValue;
}

function eventId(record: DynamoDBStreamRecordLike): string {
  if (record.eventID) return record.eventID;
  if (record.dynamodb?.SequenceNumber) return record.dynamodb.SequenceNumber;
  // Still deterministic without either: a digest of the record itself.
  return createHash('sha256').update(JSON.stringify(record)).digest('hex').slice(0, 32);
}

/** ApproximateCreationDateTime is epoch seconds; without it, the item's own timestamp. */
function eventTime(approximate: number | undefined, image: Item): string {
  if (typeof approximate === 'number' && Number.isFinite(approximate)) return new Date(approximate * 1000).toISOString();
  const own = image[ATTR.updatedAt] ?? image[ATTR.createdAt];
  return typeof own === 'string' ? own : new Date(0).toISOString();
}
