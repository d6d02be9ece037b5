/** Builds the embedded default's ports (filesystem blobs, SQLite metadata, log/webhook events). */
import { mkdir } from 'node:fs/promises';
import type { RegistryPorts } from '../../core/context.js';
import type { EventSink } from '../../ports/event-sink.js';
import { FanOutEventSink, JsonLinesEventSink, WebhookEventSink } from './event-sinks.js';
import { FsBlobStore } from './fs-blob-store.js';
import { DataPaths } from './paths.js';
import { SqliteMetadataStore } from './sqlite-metadata-store.js';

export interface EmbeddedOptions {
  dataDir: string;
  webhooks?: string[];
}

export async function createEmbeddedPorts(options: EmbeddedOptions): Promise<RegistryPorts & { close(): void }> {
  const paths = new DataPaths(options.dataDir);
  await mkdir(paths.root, { recursive: true });
  const blobs = new FsBlobStore(paths.root);
  await blobs.init();
  const metadata = new SqliteMetadataStore(paths.metadataDb);
  const sinks: EventSink[] = [new JsonLinesEventSink(paths.eventLog)];
  if (options.webhooks?.length) sinks.push(new WebhookEventSink(options.webhooks));
  return { blobs, metadata, events: new FanOutEventSink(sinks), close: () => metadata.close() };
}
