/**
 * Every error the registry can answer with, defined once. Each row names one kind of failure and
 * gives its OCI Distribution error code, its HTTP status and a default message. Where the spec
 * lets one code go with several statuses (UNSUPPORTED as 400, 405, 415), each pairing is its own
 * row, so a throw site names the row and never chooses a status.
 *
 * The core throws RegistryError; errorResponse() (error-response.ts) turns it into the response,
 * including any header the error needs, in one place for every shell.
 */

/** The spec's error codes, plus distribution's UNKNOWN and UNAVAILABLE for server-side failures. */
export type ErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'TAG_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'UNKNOWN'
  | 'UNAVAILABLE';

export interface ErrorRow {
  readonly code: ErrorCode;
  readonly status: number;
  readonly message: string;
}

export const ERRORS = {
  BLOB_UNKNOWN: { code: 'BLOB_UNKNOWN', status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { code: 'BLOB_UPLOAD_INVALID', status: 400, message: 'blob upload invalid' },
  /** A chunk that does not start at the upload's offset, or that lost a race for it. */
  UPLOAD_OUT_OF_ORDER: { code: 'BLOB_UPLOAD_INVALID', status: 416, message: 'chunk out of order' },
  BLOB_UPLOAD_UNKNOWN: { code: 'BLOB_UPLOAD_UNKNOWN', status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { code: 'DIGEST_INVALID', status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { code: 'MANIFEST_BLOB_UNKNOWN', status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { code: 'MANIFEST_INVALID', status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { code: 'MANIFEST_UNKNOWN', status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { code: 'NAME_INVALID', status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { code: 'NAME_UNKNOWN', status: 404, message: 'repository name not known to registry' },
  /** A path no route serves (distribution answers these NAME_UNKNOWN too). */
  NO_ENDPOINT: { code: 'NAME_UNKNOWN', status: 404, message: 'no registry endpoint at this path' },
  SIZE_INVALID: { code: 'SIZE_INVALID', status: 400, message: 'provided length did not match content length' },
  /** A body over a limit (a manifest, a Lambda's payload). */
  TOO_LARGE: { code: 'SIZE_INVALID', status: 413, message: 'request body too large' },
  /** A blob GET's Range that cannot be served; carries the blob size (Content-Range). */
  RANGE_NOT_SATISFIABLE: { code: 'SIZE_INVALID', status: 416, message: 'requested range not satisfiable' },
  /**
   * A push that would move an immutable tag (the only use of TAG_INVALID). ECR answers docker with TAG_INVALID here too, and
   * docker, podman and skopeo print the message of a 400 (a 403 DENIED reads as a permission
   * problem, which it is not).
   */
  TAG_INVALID: { code: 'TAG_INVALID', status: 400, message: 'the tag is immutable and names another manifest' },
  UNAUTHORIZED: { code: 'UNAUTHORIZED', status: 401, message: 'authentication required' },
  DENIED: { code: 'DENIED', status: 403, message: 'requested access to the resource is denied' },
  /** A media type the registry does not take. */
  UNSUPPORTED: { code: 'UNSUPPORTED', status: 415, message: 'the operation is unsupported' },
  /** A method the path does not answer; carries the allowed methods (Allow). */
  METHOD_NOT_ALLOWED: { code: 'UNSUPPORTED', status: 405, message: 'the method is not allowed on this path' },
  /** A malformed parameter or form for which the spec has no code of its own (paging's n, /token's form). */
  BAD_REQUEST: { code: 'UNSUPPORTED', status: 400, message: 'the request is malformed' },
  /** A feature this deployment lacks (the token endpoint placeholder). */
  NOT_IMPLEMENTED: { code: 'UNSUPPORTED', status: 501, message: 'the operation is not implemented by this deployment' },
  /** Carries retryAfterSeconds (Retry-After). */
  TOOMANYREQUESTS: { code: 'TOOMANYREQUESTS', status: 429, message: 'too many requests' },
  /** A bug or an outage behind the registry: the client may retry. */
  INTERNAL: { code: 'UNKNOWN', status: 500, message: 'internal server error: see the registry log, then retry the request' },
  /** Not ready to answer yet; carries retryAfterSeconds (Retry-After). */
  UNAVAILABLE: { code: 'UNAVAILABLE', status: 503, message: 'the registry is unavailable: retry in a moment' },
  /**
   * Storage faults (issue 12). The spec has no code for them; distribution's UNAVAILABLE is the
   * nearest every client already knows, and the status says the rest: 507 when the disk (or quota)
   * is full, which only an operator can fix; 503 when the storage cannot be written at all
   * (read-only, failing or damaged). Both carry Retry-After. Mapped from the adapters' errors in
   * one wrapper (src/adapters/storage-faults.ts), never with a status at the throw site.
   */
  STORAGE_FULL: { code: 'UNAVAILABLE', status: 507, message: "the registry's storage is full: an operator must free space (delete images, run the collector), then retry" },
  STORAGE_UNAVAILABLE: {
    code: 'UNAVAILABLE',
    status: 503,
    message: "the registry's storage cannot be written (read-only, failing or damaged): an operator must repair it; retry later",
  },
  /** Request line and headers over node's limit (16 KiB): answered by the node shell's clientError. */
  HEADERS_TOO_LARGE: { code: 'UNSUPPORTED', status: 431, message: 'request headers too large: at most 16 KiB of request line and headers' },
  /** Headers not complete within the header timeout (a trickling client). */
  HEADERS_TIMEOUT: { code: 'UNSUPPORTED', status: 408, message: 'request headers not complete within the header timeout' },
  /** A request body that stops arriving (issue 12): the declared length was never delivered. */
  BODY_STALLED: { code: 'SIZE_INVALID', status: 408, message: 'the request body stalled: no bytes arrived within the body idle timeout; retry or resume the upload' },
} as const satisfies Record<string, ErrorRow>;

export type ErrorKind = keyof typeof ERRORS;

/**
 * What an error knows that its response must say in headers. Typed data, not headers: the one
 * mapping (errorHeaders in error-response.ts) decides how each fact is written on the wire.
 */
export interface ErrorFacts {
  /** The blob size, for a range that cannot be served: `Content-Range: bytes *\/SIZE`. */
  blobSize?: number;
  /** The methods the path answers (a 405): `Allow`. */
  allowedMethods?: readonly string[];
  /** How long the client should wait (a 429 or 503): `Retry-After`. */
  retryAfterSeconds?: number;
  /** The Docker token challenge (a 401): `WWW-Authenticate: Bearer realm=...,service=...[,scope=...]`. */
  challenge?: { realm: string; service: string; scope: string | null };
  /** Where an upload stands (a chunk out of order): `Location`, `Range`, `Docker-Upload-UUID`. */
  upload?: { location: string; id: string; offset: number };
}

export interface RegistryErrorOptions extends ErrorFacts {
  /** The spec's `detail` field: anything that helps the client, JSON-serializable. */
  detail?: unknown;
}

export class RegistryError extends Error {
  /** The row of ERRORS this error is. */
  readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly facts: ErrorFacts;

  constructor(kind: ErrorKind, message?: string, options: RegistryErrorOptions = {}) {
    const row: ErrorRow = ERRORS[kind];
    super(message ?? row.message);
    this.name = 'RegistryError';
    this.kind = kind;
    this.code = row.code;
    this.status = row.status;
    const { detail, ...facts } = options;
    this.detail = detail ?? null;
    this.facts = facts;
  }
}

/** The spec's error body for one error. */
export function errorBody(err: RegistryError): string {
  return JSON.stringify({ errors: [{ code: err.code, message: err.message, detail: err.detail }] });
}
