/**
 * Byte ranges: the Range header of a blob GET (RFC 9110, single range only) and the
 * Content-Range of an upload chunk (the spec's `<start>-<end>`, inclusive).
 */
import type { ByteRange } from '../ports/blob-store.js';
import { RegistryError } from './errors.js';

/**
 * Resolves a blob GET's Range header against the blob size. Returns undefined when there is no
 * Range header. We answer 416 (with `Content-Range: bytes *\/SIZE`) to ranges we cannot satisfy
 * and also to malformed or multi-range headers, rather than silently sending the whole blob, so a
 * client bug shows up as an error instead of a surprise download.
 */
export function resolveBlobRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const unsatisfiable = (why: string) =>
    new RegistryError('RANGE_NOT_SATISFIABLE', `requested range not satisfiable: ${why} (blob size ${size})`, {
      blobSize: size,
      detail: { range: header.slice(0, 100), size },
    });
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) throw unsatisfiable('use a single range "bytes=START-END", "bytes=START-" or "bytes=-SUFFIX"');
  const [, a = '', b = ''] = m;
  let start: number;
  let end: number;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) throw unsatisfiable('a suffix range of 0 bytes is empty');
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) throw unsatisfiable('range end is before its start');
  }
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start >= size || size === 0) {
    throw unsatisfiable('range starts beyond the end of the blob');
  }
  return { start, end };
}

/**
 * Parses an upload chunk's Content-Range: `START-END` as the spec writes it; `bytes START-END`
 * and a `/TOTAL` suffix are tolerated because some clients send them.
 */
export function parseContentRange(header: string): ByteRange {
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m) {
    throw new RegistryError('BLOB_UPLOAD_INVALID', `invalid Content-Range "${header.slice(0, 100)}": expected "<start>-<end>" (inclusive byte offsets)`);
  }
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) {
    throw new RegistryError('BLOB_UPLOAD_INVALID', `invalid Content-Range "${header.slice(0, 100)}": end is before start`);
  }
  return { start, end };
}

/** The Range header of an upload status: `0-<last byte>`, as distribution and the spec write it. */
export function uploadRangeHeader(offset: number): string {
  return `0-${Math.max(0, offset - 1)}`;
}
