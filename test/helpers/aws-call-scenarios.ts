/**
 * The registry operations whose AWS calls are budgeted, run through the core on the AWS adapters
 * against the emulators (dynalite, fauxqs), with every S3 and DynamoDB command counted by SDK
 * middleware. Used by test/adapters/aws-call-budget.test.ts (the budget) and by the bench (the
 * dollars per 1,000 operations), so both read the same counts.
 */
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
import { startAwsEmulators } from './aws-emulators.js';
import { countCalls } from './aws-calls.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Calls by command name, per AWS service, for one registry operation. */
export interface CountedCalls {
  s3: Record<string, number>;
  dynamodb: Record<string, number>;
  /** DynamoDB items read or written by command name (CallCounter.items): what request units are billed on. */
  dynamodbItems: Record<string, number>;
  /** Each HTTP request in order, then the DynamoDB and S3 calls it made (CallCounter.sequence). */
  trace: string[];
}

export const PUSH_3_LAYERS = 'push 3-layer image (docker: HEAD, POST, PATCH, PUT per blob; manifest PUT by tag)';
export const PULL_BY_TAG = 'pull by tag (manifest GET by tag, config and 3 layer GETs answered by 307)';

/** Runs every budgeted operation once (each asserts its own status) and returns the counts by label. */
export async function countAwsCalls(): Promise<Record<string, CountedCalls>> {
  const aws = await startAwsEmulators();
  try {
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

    let trace: string[] = [];
    const call = async (
      method: string,
      path: string,
      init: { query?: Record<string, string>; headers?: Record<string, string>; body?: Uint8Array } = {},
    ): Promise<RegistryResponse> => {
      const body = init.body;
      const before = { s3: s3Calls.sequence().length, db: dbCalls.sequence().length };
      const res = await registry.handle({
        method,
        path,
        query: new URLSearchParams(init.query),
        headers: { ...init.headers, ...(body && { 'content-length': String(body.length) }) },
        body: (async function* () {
          if (body) yield body;
        })(),
      });
      trace.push(`${method} ${path.replace(/([0-9a-f]{8})[0-9a-f]{56}/g, '$1…')}${init.query?.digest ? '?digest=' : ''} -> ${res.status}`);
      for (const c of dbCalls.sequence().slice(before.db)) trace.push(`  DynamoDB ${c}`);
      for (const c of s3Calls.sequence().slice(before.s3)) trace.push(`  S3 ${c}`);
      return res;
    };
    const measured: Record<string, CountedCalls> = {};
    const measure = async (label: string, fn: () => Promise<void>) => {
      s3Calls.reset();
      dbCalls.reset();
      trace = [];
      await fn();
      measured[label] = { s3: s3Calls.counts(), dynamodb: dbCalls.counts(), dynamodbItems: dbCalls.items(), trace };
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
    await measure(PUSH_3_LAYERS, async () => {
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
    await measure(PULL_BY_TAG, async () => {
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
    return measured;
  } finally {
    await aws.stop();
  }
}
