/**
 * The error table and its one mapping: each row's status is one the spec allows for its code,
 * each fact becomes its header, Content-Length always matches the body, and no code under src/
 * outside the table picks a status or writes an error's headers itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { ERRORS, RegistryError, type ErrorCode, type ErrorKind } from '../../src/core/errors.js';
import { errorResponse, internalErrorResponse } from '../../src/core/error-response.js';

/**
 * The statuses each code may go with. The OCI Distribution spec's error-code list gives no
 * statuses; they come from its endpoint table and prose (413 for an oversize manifest, 416 for a
 * chunk out of order, 405 for an unsupported method, 415 for a media type) and, for codes the
 * endpoints leave open, from distribution's registry/api/errcode and api/v2 registers. 416 on a
 * blob GET's Range and 501 for a missing feature are RFC 9110's (15.5.17, 15.6.2), and so is 408
 * for a stalled body (15.5.9); 507 for a full disk is RFC 4918's.
 */
const ALLOWED_STATUSES: Record<ErrorCode, readonly number[]> = {
  BLOB_UNKNOWN: [404],
  BLOB_UPLOAD_INVALID: [400, 404, 416],
  BLOB_UPLOAD_UNKNOWN: [404],
  DIGEST_INVALID: [400],
  MANIFEST_BLOB_UNKNOWN: [400, 404],
  MANIFEST_INVALID: [400],
  MANIFEST_UNKNOWN: [404],
  NAME_INVALID: [400],
  NAME_UNKNOWN: [404],
  // 408: a body that stalls never delivers its declared length (the node shell's idle timeout).
  SIZE_INVALID: [400, 408, 413, 416],
  TAG_INVALID: [400],
  UNAUTHORIZED: [401],
  DENIED: [403],
  // 408 and 431 (RFC 9110 15.5.9, RFC 6585 5): headers too slow or too large, answered by the node shell.
  UNSUPPORTED: [400, 405, 408, 415, 431, 501],
  TOOMANYREQUESTS: [429],
  UNKNOWN: [500],
  // 507 (RFC 4918 11.5): the storage is full, which a retry alone cannot fix.
  UNAVAILABLE: [503, 507],
};

const rows = Object.entries(ERRORS) as [ErrorKind, (typeof ERRORS)[ErrorKind]][];

test("every row's status is one the spec allows for its code", () => {
  for (const [kind, row] of rows) {
    assert.ok(ALLOWED_STATUSES[row.code].includes(row.status), `${kind}: ${row.code} with ${row.status}; allowed: ${ALLOWED_STATUSES[row.code].join(', ')}`);
    assert.ok(row.message.length > 0, `${kind} has a default message`);
  }
});

test('every code the spec lists has its own row, under its own name', () => {
  for (const code of Object.keys(ALLOWED_STATUSES) as ErrorCode[]) {
    if (code === 'UNKNOWN') continue; // its row is INTERNAL: "unknown" says nothing to a reader of a throw site
    assert.equal(ERRORS[code as ErrorKind]?.code, code, `row ${code}`);
  }
});

test('a thrown error takes code, status and message from its row', () => {
  const err = new RegistryError('METHOD_NOT_ALLOWED');
  assert.equal(err.code, 'UNSUPPORTED');
  assert.equal(err.status, 405);
  assert.equal(err.message, ERRORS.METHOD_NOT_ALLOWED.message);
  assert.equal(new RegistryError('TOO_LARGE', 'manifest over 4 MiB').message, 'manifest over 4 MiB');
});

test("each fact becomes its header, and the row's status the response's", () => {
  const headersOf = (err: RegistryError) => errorResponse(err).headers;
  const range = errorResponse(new RegistryError('RANGE_NOT_SATISFIABLE', undefined, { blobSize: 10 }));
  assert.equal(range.status, 416);
  assert.equal(range.headers['content-range'], 'bytes */10');
  assert.equal(headersOf(new RegistryError('METHOD_NOT_ALLOWED', undefined, { allowedMethods: ['GET', 'HEAD'] })).allow, 'GET, HEAD');
  assert.equal(headersOf(new RegistryError('TOOMANYREQUESTS', undefined, { retryAfterSeconds: 7 }))['retry-after'], '7');
  assert.equal(
    headersOf(new RegistryError('UNAUTHORIZED', undefined, { challenge: { realm: 'https://r.example/token', service: 'r.example', scope: 'repository:a:pull' } }))[
      'www-authenticate'
    ],
    'Bearer realm="https://r.example/token",service="r.example",scope="repository:a:pull"',
  );
  const upload = headersOf(new RegistryError('UPLOAD_OUT_OF_ORDER', undefined, { upload: { location: '/v2/a/blobs/uploads/u1', id: 'u1', offset: 5 } }));
  assert.deepEqual([upload.location, upload.range, upload['docker-upload-uuid']], ['/v2/a/blobs/uploads/u1', '0-4', 'u1']);
  const plain = headersOf(new RegistryError('BLOB_UNKNOWN'));
  for (const name of ['content-range', 'allow', 'retry-after', 'www-authenticate', 'location', 'range']) assert.equal(plain[name], undefined, name);
});

test("Content-Length is the body's length whatever the facts, and a HEAD keeps it without a body", () => {
  const err = new RegistryError('UPLOAD_OUT_OF_ORDER', 'chunk starts at 5', { upload: { location: '/v2/a/blobs/uploads/u1', id: 'u1', offset: 0 }, detail: { offset: 0 } });
  const get = errorResponse(err);
  assert.equal(typeof get.body, 'string');
  assert.equal(get.headers['content-length'], String(Buffer.byteLength(get.body as string)));
  assert.deepEqual(JSON.parse(get.body as string), { errors: [{ code: 'BLOB_UPLOAD_INVALID', message: 'chunk starts at 5', detail: { offset: 0 } }] });
  const head = errorResponse(err, true);
  assert.equal(head.body, undefined);
  assert.equal(head.headers['content-length'], get.headers['content-length']);
  assert.equal(head.headers['docker-distribution-api-version'], 'registry/2.0');
});

test('an unexpected failure is a 500 UNKNOWN', () => {
  const res = internalErrorResponse();
  assert.equal(res.status, 500);
  assert.equal(JSON.parse(res.body as string).errors[0].code, 'UNKNOWN');
});

// ---------------------------------------------------------------------------------------------
// Scans of the source tree: the table and the mapping are the only places that decide these.

const SRC = new URL('../../../src/', import.meta.url);

async function sources(): Promise<{ path: string; text: string }[]> {
  const entries = await readdir(SRC, { recursive: true });
  const files = entries.filter((f) => f.endsWith('.ts')).sort();
  assert.ok(files.length > 20, `found the sources under ${SRC.pathname}`);
  return Promise.all(files.map(async (path) => ({ path, text: await readFile(new URL(path, SRC), 'utf8') })));
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

test('no source file outside the table writes a numeric status for an error', async () => {
  const offenders: string[] = [];
  for (const { path, text } of await sources()) {
    if (path === 'core/errors.ts') continue;
    for (const m of text.matchAll(/\bstatus(?:Code)?\s*:\s*[1-5]\d\d\b/g)) offenders.push(`src/${path}:${lineOf(text, m.index)}: ${m[0]}`);
  }
  assert.deepEqual(offenders, [], 'name a row of ERRORS (src/core/errors.ts) instead');
});

test('only the error mapping builds an error body, and adapters write no error headers', async () => {
  const offenders: string[] = [];
  for (const { path, text } of await sources()) {
    if (path !== 'core/errors.ts' && path !== 'core/error-response.ts') {
      for (const m of text.matchAll(/\berrorBody\(|errors:\s*\[\s*\{\s*code/g)) offenders.push(`src/${path}:${lineOf(text, m.index)}: ${m[0]}`);
    }
    if (path.startsWith('adapters/')) {
      for (const m of text.matchAll(/['"](?:retry-after|www-authenticate|content-range|allow)['"]/gi)) offenders.push(`src/${path}:${lineOf(text, m.index)}: ${m[0]}`);
    }
  }
  assert.deepEqual(offenders, [], 'throw a RegistryError with facts; errorResponse (src/core/error-response.ts) writes the headers');
});
