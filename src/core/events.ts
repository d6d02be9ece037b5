/**
 * Push and delete events are produced here, by the core, and nowhere else: the operations that
 * commit a change (manifest PUT and DELETE) build them with makeEvent and hand them to the
 * EventSink. Their wire shape is src/core/event-payload.ts.
 */
import { randomUUID } from 'node:crypto';
import type { RegistryEvent } from '../ports/event-sink.js';

export function makeEvent(fields: Omit<RegistryEvent, 'id' | 'time'>, now = new Date()): RegistryEvent {
  return { id: randomUUID(), time: now.toISOString(), ...fields };
}
