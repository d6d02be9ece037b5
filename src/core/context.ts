/** What every operation of the core works with: the ports, limits and per-process helpers. */
import type { BlobStore } from '../ports/blob-store.js';
import type { EventSink, RegistryEvent } from '../ports/event-sink.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { NativeHashCache } from './hashing.js';
import { KeyedMutex } from './keyed-mutex.js';
import { log as processLog } from '../log/logger.js';

export interface RegistryLimits {
  /** Largest manifest accepted, in bytes (413 above). */
  maxManifestBytes: number;
  /**
   * Answer blob HEAD with 307 to the store's headUrl() (when the store has one) instead of 200
   * with Content-Length: for the Lambda shell, whose Content-Length on a HEAD API Gateway renames.
   * @default false
   */
  redirectBlobHead?: boolean;
  /** Advertised as OCI-Chunk-Min-Length when an upload starts. @default none */
  chunkMinLength?: number;
}

export const DEFAULT_LIMITS: RegistryLimits = { maxManifestBytes: 4 * 1024 * 1024 };

export interface RegistryPorts {
  blobs: BlobStore;
  metadata: MetadataStore;
  events: EventSink;
}

export class RegistryContext {
  readonly hashCache = new NativeHashCache();
  readonly uploadLocks = new KeyedMutex();

  constructor(
    readonly ports: RegistryPorts,
    readonly limits: RegistryLimits = DEFAULT_LIMITS,
    private readonly log: (message: string, error: unknown) => void = (m, e) => processLog.error(m, { error: e }),
  ) {}

  get blobs(): BlobStore {
    return this.ports.blobs;
  }
  get metadata(): MetadataStore {
    return this.ports.metadata;
  }

  /** Publishes committed changes; a sink failure is logged, never turned into a failed request. */
  async emit(events: RegistryEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.ports.events.publish(events);
    } catch (err) {
      this.log('event sink failed', err);
    }
  }
}
