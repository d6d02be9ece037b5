/**
 * API Gateway REST proxy event -> the core's IncomingRequest. Transport only:
 *
 * - The path is `event.path`, the public path the client asked for (still percent-encoded, as
 *   REST APIs deliver it; a path the front door rewrote into the fixed route shape gets its
 *   repository name back, ./routed-name.ts), never `requestContext.path`, which carries the stage prefix
 *   (`/prod/v2/...`). Location and Link headers the core builds come from it, so they stay
 *   relative to the public host.
 * - The query comes from multiValueQueryStringParameters, so repeated parameters (`tag=a&tag=b`)
 *   survive; API Gateway has already decoded the values.
 * - Header names are lower-cased; repeated headers are joined with ", " as node:http does.
 * - The body is the event's whole body (base64-decoded when isBase64Encoded) as one chunk of an
 *   AsyncIterable. Content-Length is set to its real length and Transfer-Encoding dropped: the
 *   Lambda holds the complete, de-chunked body, whatever framing the client used.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { IncomingRequest } from '../../core/registry.js';
import { publicPath, REPOSITORY_HEADER } from './routed-name.js';

/** The parts of a REST proxy event this shell reads (tests and the local harness build these). */
export type ProxyEventLike = Pick<
  APIGatewayProxyEvent,
  'httpMethod' | 'path' | 'headers' | 'multiValueHeaders' | 'queryStringParameters' | 'multiValueQueryStringParameters' | 'body' | 'isBase64Encoded'
>;

export function toIncomingRequest(event: ProxyEventLike): IncomingRequest {
  const body = bodyBytes(event);
  const headers = headersOf(event);
  // The front door's rewrite (./routed-name.ts) is transport: the core sees the client's path.
  const path = publicPath(event);
  delete headers[REPOSITORY_HEADER];
  if (body.length > 0 || headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) {
    headers['content-length'] = String(body.length);
    delete headers['transfer-encoding'];
  }
  return {
    method: event.httpMethod.toUpperCase(),
    path,
    query: queryOf(event),
    headers,
    body: once(body),
  };
}

/** The decoded body's size without decoding it (a request's, for limits checked before the handler runs, or a result's). */
export function bodyLength(event: { body?: string | null; isBase64Encoded?: boolean }): number {
  if (!event.body) return 0;
  return Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

export function bodyBytes(event: Pick<ProxyEventLike, 'body' | 'isBase64Encoded'>): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

type HeaderMaps = Partial<Pick<ProxyEventLike, 'headers' | 'multiValueHeaders'>>;

function headersOf(event: HeaderMaps): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  const multi = event.multiValueHeaders ?? {};
  for (const [name, values] of Object.entries(multi)) {
    if (values && values.length > 0) out[name.toLowerCase()] = values.join(', ');
  }
  // API Gateway fills both maps; the single-value one only matters when a test or tool sends it alone.
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    const key = name.toLowerCase();
    if (value !== undefined && out[key] === undefined) out[key] = value;
  }
  return out;
}

/** One request header (`name` lower-case), read as toIncomingRequest reads them all. */
export function headerOf(event: HeaderMaps, name: string): string | undefined {
  return headersOf(event)[name];
}

function queryOf(event: ProxyEventLike): URLSearchParams {
  const query = new URLSearchParams();
  const multi = event.multiValueQueryStringParameters;
  if (multi) {
    for (const [name, values] of Object.entries(multi)) for (const value of values ?? []) query.append(name, value);
    return query;
  }
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query.append(name, value);
  return query;
}

function once(bytes: Buffer): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      if (bytes.length > 0) yield bytes;
    },
  };
}
