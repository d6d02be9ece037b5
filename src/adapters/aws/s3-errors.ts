/**
 * S3 SDK errors, translated once at the adapter boundary. Callers test `kind`; the SDK exception
 * travels only as `cause` (for logs), so no SDK type reaches the core.
 */

export type S3FailureKind =
  | 'not-found' // the key does not exist (NoSuchKey, or a 404 HEAD)
  | 'no-such-upload' // the multipart upload was completed, aborted or never existed
  | 'precondition-failed' // a conditional write found the key already there (412)
  | 'conflict' // a concurrent conditional write on the same key (409)
  | 'not-implemented' // the S3-compatible store lacks the feature (501)
  | 'other';

export class S3StoreError extends Error {
  readonly kind: S3FailureKind;

  constructor(
    readonly operation: string,
    readonly key: string,
    cause: unknown,
  ) {
    const name = errorName(cause);
    const status = httpStatus(cause);
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`S3 ${operation} ${key} failed: ${name ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${detail}`, { cause });
    this.name = 'S3StoreError';
    this.kind = kindOf(name, status);
  }
}

/** Runs one SDK call and translates whatever it throws. */
export async function s3Call<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new S3StoreError(operation, key, err);
  }
}

export function isS3Failure(err: unknown, ...kinds: S3FailureKind[]): err is S3StoreError {
  return err instanceof S3StoreError && kinds.includes(err.kind);
}

function kindOf(name: string | undefined, status: number | undefined): S3FailureKind {
  if (name === 'NoSuchUpload') return 'no-such-upload';
  // A missing bucket is a deployment error, never "this blob is absent".
  if (name === 'NoSuchBucket') return 'other';
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return 'not-found';
  if (name === 'PreconditionFailed' || status === 412) return 'precondition-failed';
  if (name === 'ConditionalRequestConflict' || status === 409) return 'conflict';
  if (name === 'NotImplemented' || status === 501) return 'not-implemented';
  return 'other';
}

function errorName(err: unknown): string | undefined {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

function httpStatus(err: unknown): number | undefined {
  const status = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}
