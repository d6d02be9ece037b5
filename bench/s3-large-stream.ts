/**
 * One very large blob through the S3 adapter (issue: "one 5 GiB stream"): POST, ONE streamed
 * PATCH, PUT ?digest=, through the registry core on S3 + DynamoDB emulators. The emulators run
 * in a child process, so this process's peak RSS is the registry's own: it must stay bounded by
 * a couple of parts, whatever the blob size. Not part of `npm test` (minutes and GiBs);
 * `node dist/bench/s3-large-stream.js [GiB]` (default 5).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Registry } from '../src/core/registry.js';
import { ALL_OPERATIONS } from '../src/core/operations/all.js';
import { S3BlobStore } from '../src/adapters/aws/s3-blob-store.js';
import { DynamoDbMetadataStore, createTable } from '../src/adapters/aws/dynamodb-metadata-store.js';
import { S3LargeObjectStore } from '../src/adapters/aws/large-objects.js';

const GiB = 1024 ** 3;
const size = Math.round(Number(process.argv[2] ?? '5') * GiB);
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Starts the emulators in a child process and returns their endpoints. */
async function emulators(): Promise<{ s3: string; dynamodb: string; stop(): void }> {
  const helper = fileURLToPath(new URL('../test/helpers/aws-emulators.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      '--max-old-space-size=16384',
      '--input-type=module',
      '-e',
      `
    const { startAwsEmulators } = await import(${JSON.stringify(helper)});
    const e = await startAwsEmulators();
    console.log(JSON.stringify({ s3: e.s3Endpoint, dynamodb: e.dynamodbEndpoint }));
  `,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d))));
  return { ...JSON.parse(line), stop: () => child.kill() };
}

const emu = await emulators();
try {
  const s3 = new S3Client({ endpoint: emu.s3, region: 'us-east-1', forcePathStyle: true, credentials });
  const dynamodb = new DynamoDBClient({ endpoint: emu.dynamodb, region: 'us-east-1', credentials });
  await s3.send(new CreateBucketCommand({ Bucket: 'large' }));
  await createTable(dynamodb, 'stowage');
  const registry = new Registry(
    {
      blobs: new S3BlobStore({ client: s3, bucket: 'large' }),
      metadata: new DynamoDbMetadataStore({ client: dynamodb, tableName: 'stowage', largeObjects: new S3LargeObjectStore({ client: s3, bucket: 'large' }) }),
      events: { publish: async () => {} },
    },
    undefined,
    { operations: ALL_OPERATIONS },
  );
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const hash = createHash('sha256');
  const block = randomBytes(1 << 20);
  async function* body(): AsyncIterable<Uint8Array> {
    for (let sent = 0, i = 0; sent < size; i++) {
      const chunk = Buffer.from(block.subarray(0, Math.min(block.length, size - sent)));
      chunk.writeUInt32LE(i, 0); // every MiB differs, so no part is a copy of another
      hash.update(chunk);
      sent += chunk.length;
      yield chunk;
    }
  }
  const empty = (async function* () {})();
  const started = performance.now();
  const post = await registry.handle({ method: 'POST', path: '/v2/large/blob/blobs/uploads/', query: new URLSearchParams(), headers: {}, body: empty });
  const patch = await registry.handle({
    method: 'PATCH',
    path: String(post.headers.location),
    query: new URLSearchParams(),
    headers: { 'content-length': String(size) },
    body: body(),
  });
  const patched = performance.now();
  // Reported before finishing: fauxqs keeps an object in one Buffer, so it cannot assemble one
  // over Node's 4 GiB Buffer limit; the streamed PATCH itself is what this bench measures.
  console.log(
    JSON.stringify({
      phase: 'patch',
      status: patch.status,
      seconds: +((patched - started) / 1000).toFixed(1),
      peakRssMiB: Math.round(Math.max(peakRss, process.memoryUsage().rss) / (1 << 20)),
    }),
  );
  const digest = `sha256:${hash.digest('hex')}`;
  const put = await registry.handle({
    method: 'PUT',
    path: String(patch.headers.location),
    query: new URLSearchParams({ digest }),
    headers: { 'content-length': '0' },
    body: (async function* () {})(),
  });
  const finished = performance.now();
  clearInterval(sampler);
  console.log(
    JSON.stringify({
      bytes: size,
      statuses: [post.status, patch.status, put.status],
      patchSeconds: +((patched - started) / 1000).toFixed(1),
      finalizeMs: Math.round(finished - patched),
      throughputMiBs: +(size / (1 << 20) / ((patched - started) / 1000)).toFixed(1),
      peakRssMiB: Math.round(peakRss / (1 << 20)),
    }),
  );
} finally {
  emu.stop();
}
