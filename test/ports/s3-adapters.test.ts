/** The BlobStore contract against the S3 adapter on fauxqs, in both serving modes. */
import { after, before } from 'node:test';
import { randomUUID } from 'node:crypto';
import { S3BlobStore } from '../../src/adapters/aws/s3-blob-store.js';
import { createBucket, startS3Emulator, trackedClient, uploadLeftovers, type S3Emulator } from '../adapters/s3-emulator.js';
import { blobStoreSuite } from './blob-store.suite.js';

let emulator: S3Emulator;
before(async () => (emulator = await startS3Emulator()));
after(() => emulator.stop());

for (const serveBlobs of ['stream', 'redirect'] as const) {
  blobStoreSuite(`S3 blob store (${serveBlobs})`, async () => {
    const s3 = trackedClient(emulator.endpoint);
    const bucket = await createBucket(s3.client);
    const prefix = `registry-${randomUUID()}/`;
    return { store: new S3BlobStore({ client: s3.client, bucket, prefix, serveBlobs }), leftovers: () => uploadLeftovers(s3, bucket, prefix) };
  });
}
