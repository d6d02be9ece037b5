/**
 * The one wire shape of a registry event, for every sink: the webhook's POST body and each line
 * of the JSON-lines log are eventPayload(e) as JSON; an EventBridge entry is the same payload
 * with `source`, `detail-type` and `time` as its Source, DetailType and Time and `detail` as its
 * Detail, so a rule or target sees the same `detail` a webhook does. Pure: no clock, no I/O.
 *
 * `detail` mirrors ECR's "ECR Image Action" (action-type, repository-name, image-digest,
 * image-tag, manifest-media-type, artifact-media-type, result) so that scanners written for ECR
 * port with a change of source; the extras are a distribution-style `target`, the `actor`, and
 * `event-id`, the core's id of the event, which stays the same when a relay delivers an event
 * twice (EventBridge gives each delivery its own envelope id). Absent values are left out of
 * the JSON (undefined), as ECR leaves out image-tag for an untagged image.
 */
import type { RegistryEvent } from '../ports/event-sink.js';

export const EVENT_SOURCE = 'stowage';
export const DEFAULT_DETAIL_TYPE = 'Stowage Image Action';

export interface EventDetail {
  'action-type': RegistryEvent['action'];
  /** Always SUCCESS: a failed request produces no event. */
  result: 'SUCCESS';
  'repository-name': string;
  'image-digest': string;
  'image-tag'?: string;
  'manifest-media-type'?: string;
  'artifact-media-type'?: string;
  target: {
    mediaType?: string;
    digest: string;
    size?: number;
    repository: string;
    tag?: string;
    /** Relative to the registry host. */
    url: string;
  };
  actor?: string;
  'event-id': string;
}

export interface EventPayload {
  id: string;
  source: typeof EVENT_SOURCE;
  'detail-type': string;
  time: string;
  detail: EventDetail;
}

const present = <T>(v: T | null): T | undefined => v ?? undefined;

export function eventPayload(e: RegistryEvent, detailType: string = DEFAULT_DETAIL_TYPE): EventPayload {
  return {
    id: e.id,
    source: EVENT_SOURCE,
    'detail-type': detailType,
    time: e.time,
    detail: {
      'action-type': e.action,
      result: 'SUCCESS',
      'repository-name': e.repository,
      'image-digest': e.digest,
      'image-tag': present(e.tag),
      'manifest-media-type': present(e.mediaType),
      'artifact-media-type': present(e.artifactType),
      target: {
        mediaType: present(e.mediaType),
        digest: e.digest,
        size: present(e.size),
        repository: e.repository,
        tag: present(e.tag),
        url: `/v2/${e.repository}/manifests/${e.digest}`,
      },
      actor: present(e.actor),
      'event-id': e.id,
    },
  };
}
