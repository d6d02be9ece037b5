/**
 * EventSink: where push and delete events go once their change is committed. The core is the
 * only producer of events; a sink only delivers them (src/core/event-payload.ts turns one into
 * the wire payload every sink sends).
 *
 * publish() resolves when the sink has done what it promises:
 * - a best-effort sink (webhook, event log, direct EventBridge) has tried and logged its own
 *   failures; it never rejects, since the request that caused the events succeeded;
 * - a durable sink (the DynamoDB outbox) has recorded the events; it rejects when it could not,
 *   and the request then fails, so that the client retries it and the retry emits them again.
 */
export interface RegistryEvent {
  /** Unique per emitted event (a UUID); a relay that delivers it twice delivers the same id. */
  id: string;
  /** When the change was committed (ISO 8601). */
  time: string;
  /** EXPIRE: a lifecycle policy removed it (ECR's lifecycle action, `expire`); otherwise as DELETE. */
  action: 'PUSH' | 'DELETE' | 'EXPIRE';
  repository: string;
  /** The manifest's digest. */
  digest: string;
  /** The tag pushed or deleted; null for an untagged push and for a manifest's own delete. */
  tag: string | null;
  mediaType: string | null;
  artifactType: string | null;
  /** Manifest size in bytes. */
  size: number | null;
  /** Who made the change, when authentication is on. */
  actor: string | null;
}

export interface EventSink {
  publish(events: RegistryEvent[]): Promise<void>;
}
