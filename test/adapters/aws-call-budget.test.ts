/**
 * AWS calls (S3 and DynamoDB together) per registry operation on the AWS adapters, counted with
 * SDK middleware on emulators, against the budget in docs/aws-calls.md. A change in request
 * counts (a regression or an improvement) fails here and must be documented.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Registry } from '../../src/core/registry.js';
import { ALL_OPERATIONS } from '../../src/core/operations/all.js';
import type { RegistryResponse } from '../../src/core/messages.js';
import { S3BlobStore } from '../../src/adapters/aws/s3-blob-store.js';
import { DynamoDbMetadataStore, createTable } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import { S3LargeObjectStore } from '../../src/adapters/aws/large-objects.js';
import { DynamoDbOutboxSink } from '../../src/adapters/aws/outbox-event-sink.js';
import { startAwsEmulators } from '../helpers/aws-emulators.js';
import { countCalls } from '../helpers/aws-calls.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

test('AWS calls per registry operation stay within the documented budget', async (t) => {
  const aws = await startAwsEmulators();
  t.after(() => aws.stop());
  const bucket = `budget-${randomUUID().slice(0, 8)}`;
  await aws.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await createTable(aws.dynamodb, 'stowage');
  const s3Calls = countCalls(aws.s3);
  const dbCalls = countCalls(aws.dynamodb);
  const registry = new Registry(
    {
      blobs: new S3BlobStore({ client: aws.s3, bucket }),
      metadata: new DynamoDbMetadataStore({ client: aws.dynamodb, tableName: 'stowage', largeObjects: new S3LargeObjectStore({ client: aws.s3, bucket }) }),
      // As on Lambda: the core's events are written to the table's outbox before the answer.
      events: new DynamoDbOutboxSink({ client: aws.dynamodb, tableName: 'stowage' }),
    },
    undefined,
    { operations: ALL_OPERATIONS },
  );

  const call = async (
    method: string,
    path: string,
    init: { query?: Record<string, string>; headers?: Record<string, string>; body?: Uint8Array } = {},
  ): Promise<RegistryResponse> => {
    const body = init.body;
    return registry.handle({
      method,
      path,
      query: new URLSearchParams(init.query),
      headers: { ...init.headers, ...(body && { 'content-length': String(body.length) }) },
      body: (async function* () {
        if (body) yield body;
      })(),
    });
  };
  const measured: Record<string, { s3: Record<string, number>; dynamodb: Record<string, number> }> = {};
  const measure = async (label: string, fn: () => Promise<void>) => {
    s3Calls.reset();
    dbCalls.reset();
    await fn();
    measured[label] = { s3: s3Calls.counts(), dynamodb: dbCalls.counts() };
  };
  const expectStatus = (res: RegistryResponse, status: number) => assert.equal(res.status, status);

  /** docker's way: HEAD, POST, one streamed PATCH, PUT ?digest=. */
  const pushBlob = async (repo: string, bytes: Uint8Array) => {
    const digest = sha256(bytes);
    expectStatus(await call('HEAD', `/v2/${repo}/blobs/${digest}`), 404);
    const post = await call('POST', `/v2/${repo}/blobs/uploads/`);
    const patch = await call('PATCH', String(post.headers.location), { body: bytes });
    expectStatus(patch, 202);
    expectStatus(await call('PUT', String(patch.headers.location), { query: { digest } }), 201);
    return { digest, size: bytes.length };
  };

  const repo = 'team/app';
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  // Layers of 1 MiB (one leftover object each) and 20 MiB (one 16 MiB part + a 4 MiB last part).
  const layerBytes = [randomBytes(1 << 20), randomBytes(1 << 20), randomBytes(20 << 20)];
  let manifestDigest = '';
  const blobs: { digest: string; size: number }[] = [];
  await measure('push 3-layer image (docker: HEAD, POST, PATCH, PUT per blob; manifest PUT by tag)', async () => {
    const c = await pushBlob(repo, config);
    for (const l of layerBytes) blobs.push(await pushBlob(repo, l));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
        layers: blobs.map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...b })),
      }),
    );
    manifestDigest = sha256(manifest);
    expectStatus(await call('PUT', `/v2/${repo}/manifests/v1`, { headers: { 'content-type': OCI_MANIFEST }, body: manifest }), 201);
  });
  await measure('pull by tag (manifest GET by tag, config and 3 layer GETs answered by 307)', async () => {
    expectStatus(await call('GET', `/v2/${repo}/manifests/v1`), 200);
    for (const b of [{ digest: sha256(config) }, ...blobs]) expectStatus(await call('GET', `/v2/${repo}/blobs/${b.digest}`), 307);
  });
  await measure('HEAD blob', async () => expectStatus(await call('HEAD', `/v2/${repo}/blobs/${blobs[0]!.digest}`), 200));
  await measure('HEAD manifest by tag', async () => expectStatus(await call('HEAD', `/v2/${repo}/manifests/v1`), 200));
  await measure('tags list', async () => expectStatus(await call('GET', `/v2/${repo}/tags/list`), 200));
  await measure('containerd blob push (POST, one PUT ?digest= with the 1 MiB body)', async () => {
    const bytes = randomBytes(1 << 20);
    const post = await call('POST', `/v2/${repo}/blobs/uploads/`);
    expectStatus(await call('PUT', String(post.headers.location), { query: { digest: sha256(bytes) }, body: bytes }), 201);
  });
  assert.ok(manifestDigest);

  for (const [label, counts] of Object.entries(measured)) t.diagnostic(`${label}: S3 ${JSON.stringify(counts.s3)} DynamoDB ${JSON.stringify(counts.dynamodb)}`);
  // docs/aws-calls.md
  assert.deepEqual(measured, {
    'push 3-layer image (docker: HEAD, POST, PATCH, PUT per blob; manifest PUT by tag)': {
      s3: { PutObject: 8, GetObject: 9, ListObjectsV2: 4, CopyObject: 3, DeleteObjects: 4, CreateMultipartUpload: 1, UploadPart: 2, CompleteMultipartUpload: 1 },
      dynamodb: { GetItem: 18, PutItem: 20, UpdateItem: 8, DeleteItem: 4, BatchWriteItem: 1 },
    },
    'pull by tag (manifest GET by tag, config and 3 layer GETs answered by 307)': { s3: { GetObject: 4 }, dynamodb: { GetItem: 6 } },
    'HEAD blob': { s3: {}, dynamodb: { GetItem: 1 } },
    'HEAD manifest by tag': { s3: {}, dynamodb: { GetItem: 2 } },
    'tags list': { s3: {}, dynamodb: { GetItem: 1, Query: 1 } },
    'containerd blob push (POST, one PUT ?digest= with the 1 MiB body)': {
      s3: { PutObject: 2, GetObject: 2, ListObjectsV2: 1, CopyObject: 1, DeleteObjects: 1 },
      dynamodb: { PutItem: 3, GetItem: 1, UpdateItem: 1, DeleteItem: 1 },
    },
  });
});
