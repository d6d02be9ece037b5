/** What every operation of the core works with: the ports and limits. */
import type { BlobStore } from '../ports/blob-store.js';
import type { EventSink, RegistryEvent } from '../ports/event-sink.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { UploadLeaseTiming } from './upload-claim.js';
// Type only: the settings' schema (zod) must stay out of bundles that never read them (the ping).
import type { RepositorySettings } from './repository-settings.js';
import { log as processLog } from '../log/logger.js';

export interface RegistryLimits {
  /** Largest manifest accepted, in bytes (413 above). */
  maxManifestBytes: number;
  /** Advertised as OCI-Chunk-Min-Length when an upload starts. @default none */
  chunkMinLength?: number;
  /** How long an upload writer's claim holds and how often it renews it. @default DEFAULT_UPLOAD_LEASE (30 s, every 10 s) */
  uploadLease?: UploadLeaseTiming;
  /** Per-repository settings (tag mutability, lifecycle policy). @default RepositorySettings.NONE */
  repositories?: RepositorySettings;
}

export const DEFAULT_LIMITS: RegistryLimits = { maxManifestBytes: 4 * 1024 * 1024 };

export interface RegistryPorts {
  blobs: BlobStore;
  metadata: MetadataStore;
  events: EventSink;
}

export type PortName = keyof RegistryPorts;

/**
 * A registry that serves some operations needs only their ports (a Lambda serving the ping has
 * none, so it creates no AWS client): asking for one that was not given is a wiring mistake,
 * which Registry's constructor catches before any request by checking each operation's `ports`.
 */
function missing(port: PortName): never {
  throw new Error(`this registry was built without its ${port} port: an operation that uses it must list it in its ports`);
}

export class RegistryContext {
  constructor(
    readonly ports: Partial<RegistryPorts>,
    readonly limits: RegistryLimits = DEFAULT_LIMITS,
    private readonly log: (message: string, error: unknown) => void = (m, e) => processLog.error(m, { error: e }),
  ) {}

  get blobs(): BlobStore {
    return this.ports.blobs ?? missing('blobs');
  }
  get metadata(): MetadataStore {
    return this.ports.metadata ?? missing('metadata');
  }

  /**
   * Publishes committed changes, before the request is answered. Best-effort sinks never reject;
   * a durable sink (the outbox) rejects when it could not record the events, and the request
   * then fails so that the client retries it (see src/ports/event-sink.ts).
   */
  async emit(events: RegistryEvent[]): Promise<void> {
    if (events.length === 0) return;
    const sink = this.ports.events ?? missing('events');
    try {
      await sink.publish(events);
    } catch (err) {
      this.log('event sink failed: the change is committed, its events are not recorded', err);
      throw err;
    }
  }
}
