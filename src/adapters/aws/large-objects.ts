/**
 * Where the DynamoDB metadata store keeps manifest bytes too large for an item (DynamoDB items
 * stop at 400 KB; manifests go up to 4 MiB). Keys are content-addressed
 * (`manifests/<algorithm>/<hex>`, built in dynamodb-keys.ts), so a put is idempotent and one
 * object serves every repository holding that manifest; objects are never deleted by a request
 * (another repository may hold the same manifest): garbage collection reclaims them.
 */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * The S3 client module, imported on first use rather than statically: most manifests fit in an
 * item, so a manifest Lambda (src/shells/lambda/ports/table-and-manifests.ts) given a lazyS3Client
 * loads the S3 client only when it meets one that does not. The Lambda bundles, which leave the
 * SDK external, turn this import into a `require` run on that first use (lib/lambda-bundling.ts).
 */
let s3Module: Promise<typeof import('@aws-sdk/client-s3')> | undefined;
const loadS3 = () => (s3Module ??= import('@aws-sdk/client-s3'));

/** An S3 client built on first call, from this configuration, and reused by every later call. */
export function lazyS3Client(config: S3ClientConfig): () => Promise<S3Client> {
  let client: Promise<S3Client> | undefined;
  return () => (client ??= loadS3().then(({ S3Client }) => new S3Client(config)));
}

export interface LargeObjectStore {
  /** Stores bytes under a key, replacing what was there (callers only ever write identical bytes). */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or null when nothing is stored under the key. */
  get(key: string): Promise<Uint8Array | null>;
  /** Removes the key; absent keys are not an error. */
  delete(key: string): Promise<void>;
}

export interface S3LargeObjectStoreOptions {
  /** The client, or one built on first use (lazyS3Client). */
  client: S3Client | (() => Promise<S3Client>);
  bucket: string;
  /** Prepended to every key, e.g. `stowage/` (default none). */
  prefix?: string;
}

export class S3LargeObjectStore implements LargeObjectStore {
  private readonly prefix: string;

  constructor(private readonly options: S3LargeObjectStoreOptions) {
    this.prefix = options.prefix ?? '';
  }

  private async client(): Promise<S3Client> {
    const { client } = this.options;
    return typeof client === 'function' ? client() : client;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const [client, { PutObjectCommand }] = await Promise.all([this.client(), loadS3()]);
    await client.send(
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
    const [client, { GetObjectCommand }] = await Promise.all([this.client(), loadS3()]);
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }));
      if (!out.Body) return null;
      return await out.Body.transformToByteArray();
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const [client, { DeleteObjectCommand }] = await Promise.all([this.client(), loadS3()]);
    await client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }));
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
