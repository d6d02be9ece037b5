/**
 * Where the DynamoDB metadata store keeps manifest bytes too large for an item (DynamoDB items
 * stop at 400 KB; manifests go up to 4 MiB). Keys are content-addressed
 * (`manifests/<algorithm>/<hex>`, built in dynamodb-keys.ts), so a put is idempotent and one
 * object serves every repository holding that manifest; objects are never deleted by a request
 * (another repository may hold the same manifest): garbage collection reclaims them.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface LargeObjectStore {
  /** Stores bytes under a key, replacing what was there (callers only ever write identical bytes). */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or null when nothing is stored under the key. */
  get(key: string): Promise<Uint8Array | null>;
  /** Removes the key; absent keys are not an error. */
  delete(key: string): Promise<void>;
}

export interface S3LargeObjectStoreOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key, e.g. `stowage/` (default none). */
  prefix?: string;
}

export class S3LargeObjectStore implements LargeObjectStore {
  private readonly prefix: string;

  constructor(private readonly options: S3LargeObjectStoreOptions) {
    this.prefix = options.prefix ?? '';
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.options.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: this.prefix + key,
        Body: bytes,
        ContentLength: bytes.byteLength,
        ContentType: 'application/octet-stream',
      }),
    );
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const out = await this.options.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }));
      if (!out.Body) return null;
      return await out.Body.transformToByteArray();
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.options.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }));
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
