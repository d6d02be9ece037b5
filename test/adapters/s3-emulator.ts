/**
 * An S3 emulator for adapter tests (fauxqs, in process) and helpers to look inside it.
 *
 * fauxqs's startFauxqs() caps request bodies at 11 MiB, below the store's default 16 MiB parts,
 * so the app is built with buildApp() and its binary body parser re-registered with a larger
 * limit (Fastify's public API); everything else is fauxqs as shipped. It enforces EntityTooSmall
 * and part ETags at completion, but it has no ListMultipartUploads, so tests track multipart
 * uploads from the client side (TrackedS3.openMultipartUploads), and it ignores If-None-Match on
 * PutObject, so the tracked client refuses such a put of an existing key itself, as S3 does.
 */
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3Keys } from '../../src/adapters/aws/s3-keys.js';

export { startS3Emulator, type S3Emulator } from '../helpers/aws-emulators.js';

/** A client that records every command it sends and the multipart uploads it left open. */
export interface TrackedS3 {
  client: S3Client;
  /** Command names in order, e.g. 'PutObject'. */
  calls: string[];
  /** Multipart uploads created and neither completed nor aborted. */
  openMultipartUploads: Set<string>;
}

export function trackedClient(endpoint: string): TrackedS3 {
  const config = { endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const client = new S3Client(config);
  const calls: string[] = [];
  const openMultipartUploads = new Set<string>();
  // If-None-Match: * on PutObject, checked and applied one put at a time (so atomically).
  const plain = new S3Client(config);
  let conditionalPuts: Promise<unknown> = Promise.resolve();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Bucket?: string; Key?: string; IfNoneMatch?: string };
      if (context.commandName !== 'PutObjectCommand' || input.IfNoneMatch !== '*') return next(args);
      const run = conditionalPuts.then(async () => {
        const exists = await plain.send(new HeadObjectCommand({ Bucket: input.Bucket, Key: input.Key })).then(
          () => true,
          () => false,
        );
        if (exists)
          throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
        return next(args);
      });
      conditionalPuts = run.catch(() => {});
      return run;
    },
    { step: 'initialize', name: 'stowageTestIfNoneMatch' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? '').replace(/Command$/, '');
      calls.push(name);
      const input = args.input as { UploadId?: string };
      try {
        const result = await next(args);
        if (name === 'CreateMultipartUpload') openMultipartUploads.add((result.output as { UploadId: string }).UploadId);
        if (name === 'CompleteMultipartUpload' || name === 'AbortMultipartUpload') openMultipartUploads.delete(input.UploadId ?? '');
        return result;
      } catch (err) {
        if (name === 'AbortMultipartUpload' && (err as { name?: string }).name === 'NoSuchUpload') openMultipartUploads.delete(input.UploadId ?? '');
        throw err;
      }
    },
    // The deserialize step sees each request actually sent (retries included) and its parsed
    // output; presigning stops before it, so a presigned URL is not counted as a call.
    { step: 'deserialize', priority: 'high', name: 'stowageTestTracker' },
  );
  return { client, calls, openMultipartUploads };
}

export async function createBucket(client: S3Client, bucket = `stowage-${randomUUID()}`): Promise<string> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * What an upload may leave behind, which must be nothing once it is committed or cancelled:
 * objects under uploads/, content/ objects that no blob pointer names, and open multipart uploads.
 */
export async function uploadLeftovers(s3: TrackedS3, bucket: string, prefix: string): Promise<string[]> {
  const keys = new S3Keys(prefix);
  const named = new Set<string>();
  for (const pointer of await listKeys(s3.client, bucket, keys.blobsPrefix)) {
    const res = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: pointer }));
    named.add((JSON.parse(await res.Body!.transformToString()) as { key: string }).key);
  }
  const content = (await listKeys(s3.client, bucket, keys.contentPrefix)).filter((k) => !named.has(k));
  const uploads = await listKeys(s3.client, bucket, keys.uploadsPrefix);
  return [...uploads, ...content, ...[...s3.openMultipartUploads].map((id) => `multipart upload ${id}`)];
}
