/**
 * The core's RegistryResponse -> an API Gateway REST proxy result. Every header goes out in
 * multiValueHeaders (OCI-Tag repeats); byte bodies (manifests) go base64 with isBase64Encoded,
 * text bodies (JSON listings and errors) as they are; a HEAD answers no body. Headers are kept
 * as the core set them, Location and Link included (relative, built from the public path).
 *
 * A streamed body (an AsyncIterable) never reaches a Lambda shell: blobs are served by redirect
 * and API Gateway could not stream it anyway. One is a bug, reported as StreamingBodyError for the
 * error middleware to answer 500.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { RegistryResponse } from '../../core/messages.js';

export class StreamingBodyError extends Error {
  constructor(status: number) {
    super(`the core answered ${status} with a streamed body, which a Lambda cannot return (blobs must be served by redirect)`);
    this.name = 'StreamingBodyError';
  }
}

export function toProxyResult(res: RegistryResponse, head: boolean): APIGatewayProxyResult {
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(res.headers)) multiValueHeaders[name] = Array.isArray(value) ? [...value] : [value];
  const body = res.body;
  // Content-Length is the body's own length whatever a header said (a HEAD keeps what a GET would
  // get): the edge function restores a remapped Content-Length, and a wrong one would corrupt the
  // viewer's keep-alive connection as on the node server (issue 12).
  if (!head && (body === undefined || typeof body === 'string' || body instanceof Uint8Array)) {
    const length = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    multiValueHeaders['content-length'] = [String(length)];
  }
  if (body === undefined || typeof body === 'string') {
    return { statusCode: res.status, multiValueHeaders, body: head || body === undefined ? '' : body, isBase64Encoded: false };
  }
  if (body instanceof Uint8Array) {
    if (head) return { statusCode: res.status, multiValueHeaders, body: '', isBase64Encoded: false };
    return { statusCode: res.status, multiValueHeaders, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64'), isBase64Encoded: true };
  }
  // Release whatever the stream holds open (an S3 socket) before failing.
  void Promise.resolve(body[Symbol.asyncIterator]().return?.()).catch(() => {});
  throw new StreamingBodyError(res.status);
}
