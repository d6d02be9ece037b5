/**
 * EventSink: where push and delete events go once their change is committed. Publishing must
 * not fail the request that caused it: sinks log their own delivery failures.
 */
export interface RegistryEvent {
  id: string;
  time: string;
  action: 'PUSH' | 'DELETE';
  result: 'SUCCESS';
  repository: string;
  digest: string;
  tag: string | null;
  mediaType: string | null;
  artifactType: string | null;
  size: number | null;
  actor: string | null;
}

export interface EventSink {
  publish(events: RegistryEvent[]): Promise<void>;
}
