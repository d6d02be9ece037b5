/** Blob GET, HEAD and DELETE. A blob is visible in a repository only when linked to it. */
import { parseDigest } from '../digest.js';
import { RegistryError } from '../errors.js';
import type { RegistryContext } from '../context.js';
import { response, type RegistryRequest, type RegistryResponse } from '../messages.js';
import { resolveBlobRange } from '../ranges.js';
import type { RegistryOperation } from '../operation.js';

function blobUnknown(name: string, digest: string): RegistryError {
  return new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not in repository ${name}`, { detail: { digest } });
}

/** A redirect names a presigned URL that expires: it must not be cached like the content. */
const NOT_CACHED = { 'cache-control': 'no-store' };

export async function getBlob(ctx: RegistryContext, name: string, req: RegistryRequest, head: boolean): Promise<RegistryResponse> {
  const digest = parseDigest(req.params.digest ?? '').value;
  const link = await ctx.metadata.getBlobLink(name, digest);
  if (!link) throw blobUnknown(name, digest);
  const size = link.size;
  const range = head ? undefined : resolveBlobRange(req.headers.range, size);
  const base = {
    'docker-content-digest': digest,
    'accept-ranges': 'bytes',
    etag: `"${digest}"`,
    'cache-control': 'max-age=31536000',
  };
  if (head) {
    // The link is the answer: content is never removed while a repository links it (garbage
    // collection's rule), so a HEAD, which docker sends for every layer, costs one metadata read.
    return response(200, { ...base, 'content-type': 'application/octet-stream', 'content-length': String(size) });
  }
  const content = await ctx.blobs.open(digest, range);
  if (!content) throw blobUnknown(name, digest);
  if (content.kind === 'redirect') return response(307, { ...base, ...NOT_CACHED, location: content.url });
  if (range) {
    return response(
      206,
      {
        ...base,
        'content-type': 'application/octet-stream',
        'content-length': String(range.end - range.start + 1),
        'content-range': `bytes ${range.start}-${range.end}/${size}`,
      },
      content.body,
    );
  }
  return response(200, { ...base, 'content-type': 'application/octet-stream', 'content-length': String(size) }, content.body);
}

/**
 * Unlinks the blob from this repository. Its bytes stay while other repositories link them;
 * reclaiming unlinked content is garbage collection's job, never a request's.
 */
export async function deleteBlob(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  const digest = parseDigest(req.params.digest ?? '').value;
  if (!(await ctx.metadata.unlinkBlob(name, digest))) throw blobUnknown(name, digest);
  return response(202, { 'content-length': '0' });
}

// Registrations (../operation.ts): one descriptor per route-table operation of this module.
export const getBlobOperation: RegistryOperation = {
  kind: 'registry',
  operation: 'getBlob',
  ports: ['metadata', 'blobs'],
  run: (ctx, name, req) => getBlob(ctx, name, req, false),
};
export const headBlobOperation: RegistryOperation = {
  kind: 'registry',
  operation: 'headBlob',
  // The link is the whole answer: no blob store (a Lambda without an S3 client).
  ports: ['metadata'],
  run: (ctx, name, req) => getBlob(ctx, name, req, true),
};
export const deleteBlobOperation: RegistryOperation = { kind: 'registry', operation: 'deleteBlob', ports: ['metadata'], run: deleteBlob };
