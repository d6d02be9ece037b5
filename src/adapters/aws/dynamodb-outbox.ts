/**
 * Outbox items: one metadata-table item per registry event (key layout in dynamodb-keys.ts),
 * written by DynamoDbOutboxSink before the request's 2xx and relayed to EventBridge by the
 * stream consumer from the item's stream INSERT record. Pure: the item follows from the event
 * alone (no clock), and the event is read back exactly as it was written.
 *
 * The event travels as JSON text in one attribute rather than one attribute per field: the
 * RegistryEvent type (src/ports/event-sink.ts) stays the one definition of what an event holds,
 * and nothing here lists its fields again except the check that a stored event is well formed.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { RegistryEvent } from '../../ports/event-sink.js';
import { ATTR, keys } from './dynamodb-keys.js';

/**
 * How long an outbox item stays after its event time. The stream keeps records 24 hours, after
 * which the item serves nothing; TTL deletes it free of charge (the REMOVE record that follows
 * is filtered out before the consumer). A constant, not a setting: no operator needs to tune it.
 */
export const OUTBOX_TTL_SECONDS = 24 * 60 * 60;

/** An attribute value as both the SDK and a stream record (JSON) spell strings and numbers. */
export type OutboxAttributes = Record<string, { S?: string; N?: string } | undefined>;

export function outboxItem(event: RegistryEvent): Record<string, AttributeValue> {
  const key = keys.outbox(event.id);
  const expiresAt = Math.floor(Date.parse(event.time) / 1000) + OUTBOX_TTL_SECONDS;
  return {
    [ATTR.pk]: { S: key.PK },
    [ATTR.sk]: { S: key.SK },
    [ATTR.kind]: { S: 'outbox' },
    [ATTR.event]: { S: JSON.stringify(event) },
    [ATTR.expiresAt]: { N: String(expiresAt) },
  };
}

/** The event an outbox item holds; throws when the item is not a well-formed outbox item. */
export function eventOfOutboxItem(item: OutboxAttributes): RegistryEvent {
  const text = item[ATTR.event]?.S;
  if (text === undefined) throw new Error(`outbox item ${item[ATTR.pk]?.S ?? '?'} has no ${ATTR.event} attribute`);
  const e = JSON.parse(text) as Record<string, unknown>;
  const str = (k: keyof RegistryEvent) => typeof e[k] === 'string';
  const strOrNull = (k: keyof RegistryEvent) => e[k] === null || typeof e[k] === 'string';
  const ok =
    str('id') &&
    str('time') &&
    (e.action === 'PUSH' || e.action === 'DELETE' || e.action === 'EXPIRE') &&
    str('repository') &&
    str('digest') &&
    strOrNull('tag') &&
    strOrNull('mediaType') &&
    strOrNull('artifactType') &&
    (e.size === null || typeof e.size === 'number') &&
    strOrNull('actor');
  if (!ok) throw new Error(`outbox item ${item[ATTR.pk]?.S ?? '?'} does not hold a registry event`);
  return e as unknown as RegistryEvent;
}
