/**
 * Push and delete events: built by the core after a change is committed, and rendered in the
 * shape of ECR's "ECR Image Action" so scanners written for ECR port easily.
 */
import { randomUUID } from 'node:crypto';
import type { RegistryEvent } from '../ports/event-sink.js';

export const EVENT_SOURCE = 'stowage';
export const DEFAULT_DETAIL_TYPE = 'Stowage Image Action';

export function makeEvent(fields: Omit<RegistryEvent, 'id' | 'time' | 'result'>, now = new Date()): RegistryEvent {
  return { id: randomUUID(), time: now.toISOString(), result: 'SUCCESS', ...fields };
}

/** The `detail` of an EventBridge-style envelope: ECR's keys plus a distribution-style target. */
export function eventDetail(e: RegistryEvent, publicBase = ''): Record<string, unknown> {
  return {
    'action-type': e.action,
    result: e.result,
    'repository-name': e.repository,
    'image-digest': e.digest,
    'image-tag': e.tag ?? undefined,
    'manifest-media-type': e.mediaType ?? undefined,
    'artifact-media-type': e.artifactType ?? undefined,
    target: {
      mediaType: e.mediaType ?? undefined,
      digest: e.digest,
      size: e.size ?? undefined,
      repository: e.repository,
      tag: e.tag ?? undefined,
      url: `${publicBase}/v2/${e.repository}/manifests/${e.digest}`,
    },
    actor: e.actor ?? undefined,
  };
}

/** The whole envelope, as written to the event log and posted to webhooks. */
export function eventEnvelope(e: RegistryEvent, detailType = DEFAULT_DETAIL_TYPE, publicBase = ''): Record<string, unknown> {
  return { id: e.id, source: EVENT_SOURCE, 'detail-type': detailType, time: e.time, detail: eventDetail(e, publicBase) };
}
