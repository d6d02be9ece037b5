/**
 * The example scan-on-push target: the EventBridge rule in lib/events.ts invokes it with each
 * push event. It names the image to scan (repository and digest, from the ECR-shaped detail of
 * src/core/event-payload.ts) and hands it to `scan`, which by default only logs the request:
 * plug a scanner in here (start a CodeBuild run of trivy or grype, call Inspector, ...). A
 * `scan` that throws makes the invocation fail, so EventBridge retries it and then parks the
 * event in the rule's dead-letter queue.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import type { EventDetail } from '../../core/event-payload.js';
import { log } from '../../log/logger.js';

/** What a scanner needs to fetch the image. */
export interface ScanRequest {
  readonly repository: string;
  readonly digest: string;
  readonly tag?: string;
  readonly eventId: string;
}

/** The scan request a push event asks for; null for any other event (the rule passes only pushes). */
export function scanRequestOf(event: Pick<EventBridgeEvent<string, Partial<EventDetail>>, 'detail'>): ScanRequest | null {
  const d = event.detail ?? {};
  if (d['action-type'] !== 'PUSH' || typeof d['repository-name'] !== 'string' || typeof d['image-digest'] !== 'string') return null;
  return {
    repository: d['repository-name'],
    digest: d['image-digest'],
    ...(typeof d['image-tag'] === 'string' && { tag: d['image-tag'] }),
    eventId: String(d['event-id'] ?? ''),
  };
}

export function scanOnPush(scan: (request: ScanRequest) => Promise<void> = async (r) => log.info('scan requested', { ...r })) {
  return async (event: EventBridgeEvent<string, Partial<EventDetail>>): Promise<void> => {
    const request = scanRequestOf(event);
    if (!request) {
      log.warn('not a push event; nothing to scan', { detailType: event['detail-type'] });
      return;
    }
    await scan(request);
  };
}
