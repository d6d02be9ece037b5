/**
 * Every S3 key of the S3 blob store, built here and nowhere else.
 *
 *   <prefix>blobs/<alg>/<hex>          pointer of a committed blob: JSON {"key": <content key>, "size": n}
 *   <prefix>content/<upload-id>        the bytes of one upload; once a pointer names it, a blob's content
 *   <prefix>uploads/<upload-id>/leftover/<offset>-<attempt>
 *                                      bytes of a request that did not fill a part (< 5 MiB); <offset>
 *                                      is where they start (15 digits), <attempt> a random UUID
 *
 * Why a pointer: an upload's bytes go straight to its content key (a multipart upload, or one
 * PutObject for a blob smaller than a part: by the request that carries it whole, or at commit
 * from its leftovers), and commit only completes that upload and writes the small pointer at the
 * digest key. Finalising then costs the same for 1 KiB and 100 GiB: S3
 * has no rename, and CopyObject of a large object is a full server-side copy. A blob is visible
 * exactly when its pointer exists; stat/open/delete all go through it.
 *
 * Idempotent commit: when the pointer already exists (the same content was pushed before), the
 * new content is dropped and the existing pointer kept. The pointer is written with
 * If-None-Match: * where the store supports it, so of two commits racing for one digest the
 * second finds the first's pointer and drops its own content.
 *
 * Leftovers exist because S3 parts must be >= 5 MiB (except the last) while a request can carry
 * any number of bytes; their keys are unique per attempt so that a failed or losing request never
 * overwrites bytes a recorded upload state refers to. Leftovers are reclaimed at commit (the
 * recorded ones; by listing uploads/<upload-id>/ once some were replaced) and at cancel (by
 * listing).
 *
 * Bucket lifecycle (the backstop for uploads that are never finished or cancelled):
 *   - abort incomplete multipart uploads after a few days (they all target content/ keys);
 *   - expire objects under uploads/ after the longest upload session lifetime;
 *   - never expire blobs/ or content/: a content object with no pointer is garbage only when it
 *     is older than any commit in progress (a crash between completing the content and writing
 *     its pointer leaves one; garbage collection, not a lifecycle rule, reclaims it).
 */

const DIGEST = /^([a-z0-9]+):([0-9a-f]{64,128})$/;
const UPLOAD_ID = /^[A-Za-z0-9-]{1,64}$/;

export class S3Keys {
  /** `prefix` is prepended verbatim; give it a trailing slash to get a folder (`registry/`). */
  constructor(readonly prefix = '') {}

  /** Where every blob pointer lives (for listing). */
  get blobsPrefix(): string {
    return `${this.prefix}blobs/`;
  }
  /** Where every upload's content lives, committed or not (for listing). */
  get contentPrefix(): string {
    return `${this.prefix}content/`;
  }
  /** Where every upload's leftovers live (for listing and the lifecycle rule). */
  get uploadsPrefix(): string {
    return `${this.prefix}uploads/`;
  }

  /** Digests reach here already validated by the core (`alg:lowerhex`); anything else is a bug. */
  blobPointer(digest: string): string {
    const match = DIGEST.exec(digest);
    if (!match) throw new Error(`not a validated digest: ${digest.slice(0, 200)}`);
    return `${this.blobsPrefix}${match[1]}/${match[2]}`;
  }

  /** The digest a pointer key names, or null for any other key. */
  digestOfPointer(key: string): string | null {
    if (!key.startsWith(this.blobsPrefix)) return null;
    const [alg = '', hex = '', ...rest] = key.slice(this.blobsPrefix.length).split('/');
    const digest = `${alg}:${hex}`;
    return rest.length === 0 && DIGEST.test(digest) ? digest : null;
  }

  content(uploadId: string): string {
    return `${this.contentPrefix}${checkUploadId(uploadId)}`;
  }

  /** Every temporary object of one upload is under this prefix. */
  upload(uploadId: string): string {
    return `${this.uploadsPrefix}${checkUploadId(uploadId)}/`;
  }

  leftover(uploadId: string, offset: number, attempt: string): string {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`not an upload offset: ${offset}`);
    if (!/^[A-Za-z0-9-]{1,64}$/.test(attempt)) throw new Error(`not an attempt id: ${attempt}`);
    return `${this.upload(uploadId)}leftover/${String(offset).padStart(15, '0')}-${attempt}`;
  }

  /** True for keys this store may name in a pointer (guards against a tampered pointer). */
  isContentKey(key: string): boolean {
    return key.startsWith(this.contentPrefix) && UPLOAD_ID.test(key.slice(this.contentPrefix.length));
  }

  /** True for keys of this upload's leftovers (guards against a tampered upload state). */
  isLeftoverOf(uploadId: string, key: string): boolean {
    return key.startsWith(`${this.upload(uploadId)}leftover/`);
  }
}

function checkUploadId(id: string): string {
  if (!UPLOAD_ID.test(id)) throw new Error(`not an upload id: ${id.slice(0, 100)}`);
  return id;
}
