/**
 * Builds the registry's ports from configuration: embedded (filesystem, SQLite, event log,
 * webhooks) and AWS (S3, DynamoDB, EventBridge) adapters in any combination. AWS modules are
 * loaded only when configured, and every AWS resource is checked (or created, with
 * --create-resources) before the server listens, so misconfiguration fails at start with one
 * clear line rather than at the first request.
 */
import { mkdir } from 'node:fs/promises';
import type { RegistryPorts } from '../core/context.js';
import type { ServeConfig } from '../cli/serve-config.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { EventSink } from '../ports/event-sink.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { SETTINGS } from '../config/settings.js';
import { log } from '../log/logger.js';
import { openWebhookOutbox } from './embedded/event-outbox.js';
import { FanOutEventSink, JsonLinesEventSink } from './embedded/event-sinks.js';
import { FsBlobStore } from './embedded/fs-blob-store.js';
import { DataPaths, PRIVATE_DIR } from './embedded/paths.js';
import { withStorageFaults } from './storage-faults.js';
import { SqliteMetadataStore } from './embedded/sqlite-metadata-store.js';

export type PortsConfig = Pick<
  ServeConfig,
  | 'dataDir'
  | 'storage'
  | 's3Bucket'
  | 's3Prefix'
  | 's3ForcePathStyle'
  | 's3ServeBlobs'
  | 's3BlobRedirects'
  | 's3PresignExpires'
  | 'metadata'
  | 'dynamodbTable'
  | 'events'
  | 'webhooks'
  | 'eventBus'
  | 'eventDetailType'
  | 'webhookSecret'
  | 'webhookMaxAttempts'
  | 'webhookRetryBase'
  | 'createResources'
>;

export const EMBEDDED_DEFAULTS: Omit<PortsConfig, 'dataDir'> = {
  storage: 'fs',
  s3Prefix: '',
  s3ForcePathStyle: false,
  s3ServeBlobs: 'redirect',
  s3BlobRedirects: 'store',
  s3PresignExpires: 900,
  metadata: 'sqlite',
  events: ['log'],
  webhooks: [],
  webhookMaxAttempts: SETTINGS.webhookMaxAttempts.default,
  webhookRetryBase: SETTINGS.webhookRetryBase.default,
  createResources: false,
};

export interface ClosablePorts extends RegistryPorts {
  close(): void;
}

export async function createPorts(config: PortsConfig): Promise<ClosablePorts> {
  const paths = new DataPaths(config.dataDir);
  const closers: (() => void)[] = [];
  const usesDataDir = config.storage === 'fs' || config.metadata === 'sqlite' || config.events.includes('log') || config.events.includes('webhook');
  if (usesDataDir) await mkdir(paths.root, { recursive: true, mode: PRIVATE_DIR });

  const aws = config.storage === 's3' || config.metadata === 'dynamodb' || config.events.includes('eventbridge') ? await import('./aws/index.js') : undefined;
  const s3 = aws && config.s3Bucket ? await aws.connectS3(config) : undefined;

  let blobs: BlobStore;
  if (config.storage === 's3') {
    if (!aws || !s3) throw new Error('--storage s3 needs --s3-bucket');
    blobs = aws.s3BlobStore(s3, config);
  } else {
    const fs = new FsBlobStore(paths.root);
    await fs.init();
    blobs = withStorageFaults(fs, 'blobs');
  }

  let metadata: MetadataStore;
  if (config.metadata === 'dynamodb') {
    if (!aws || !s3) throw new Error('--metadata dynamodb needs --s3-bucket');
    metadata = await aws.dynamoDbMetadataStore(s3, config);
  } else {
    const sqlite = new SqliteMetadataStore(paths.metadataDb);
    closers.push(() => sqlite.close());
    metadata = withStorageFaults(sqlite, 'metadata');
  }

  const sinks: EventSink[] = [];
  if (config.events.includes('log')) sinks.push(new JsonLinesEventSink(paths.eventLog));
  if (config.events.includes('webhook')) {
    // Through the outbox in the data directory's SQLite database (with --metadata dynamodb too).
    const outbox = openWebhookOutbox(
      paths.metadataDb,
      {
        urls: config.webhooks,
        ...(config.webhookSecret && { secret: config.webhookSecret }),
        maxAttempts: config.webhookMaxAttempts,
        retryBaseMs: config.webhookRetryBase * 1000,
      },
      log,
    );
    closers.unshift(() => outbox.close());
    sinks.push(outbox.sink);
  }
  if (config.events.includes('eventbridge')) {
    if (!aws) throw new Error('--events eventbridge needs --event-bus');
    sinks.push(await aws.eventBridgeSink(config));
  }

  return {
    blobs,
    metadata,
    events: sinks.length === 1 ? (sinks[0] as EventSink) : new FanOutEventSink(sinks),
    close: () => {
      for (const c of closers) c();
    },
  };
}
