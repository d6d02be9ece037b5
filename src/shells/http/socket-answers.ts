/**
 * Answers written on a bare socket, where node's HTTP machinery cannot help: a parse failure
 * (node's 'clientError'), a connection over its address's cap, a TLS handshake on the plain
 * port; and the lingering close that makes any answer readable before the socket goes.
 *
 * Why lingering: closing a socket whose client is still sending makes the kernel answer the
 * unread bytes with a reset, and a client that sends its body before reading (most do) then sees
 * a broken pipe instead of the error. So the server half-closes (FIN after the answer), keeps
 * reading and discarding for a short while, and only then closes, as Apache's lingering_close
 * and Go's closeWriteAndWait do.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { RegistryError } from '../../core/errors.js';
import { errorResponse } from '../../core/error-response.js';
import type { RegistryResponse } from '../../core/messages.js';

/** How long a closing socket keeps reading before it is destroyed. */
export const LINGER_MS = 2_000;

/**
 * Half-closes now and destroys after LINGER_MS, or as soon as the client closes its side.
 * Works on node's own `destroySoon` (what the HTTP server calls after a `Connection: close`
 * response), so a response written through ServerResponse lingers too.
 */
export function closeLingering(socket: Socket): void {
  const destroy = () => socket.destroy();
  const timer = setTimeout(destroy, LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', destroy);
  // Keep reading (and dropping) what the client still sends; node's HTTP parser discards it.
  socket.resume();
  if (!socket.writableEnded) socket.end();
}

/** Makes node's HTTP server close this socket lingering after its `Connection: close` response. */
export function lingerWhenClosed(socket: Socket): void {
  (socket as Socket & { destroySoon(): void }).destroySoon = () => closeLingering(socket);
}

/** A core response serialized by hand, `Connection: close`, for a socket without an HTTP response object. */
export function writeRawResponse(socket: Socket, r: RegistryResponse, protocol = 'HTTP/1.1'): void {
  if (!socket.writable) return;
  const body = typeof r.body === 'string' || r.body instanceof Uint8Array ? Buffer.from(r.body) : Buffer.alloc(0);
  const lines = [`${protocol} ${r.status} ${STATUS_CODES[r.status] ?? 'Error'}`];
  for (const [name, value] of Object.entries(r.headers)) {
    if (name === 'content-length' || name === 'connection') continue;
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  }
  lines.push(`content-length: ${body.byteLength}`, 'connection: close');
  socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
}

/** The first byte of a TLS record carrying a handshake (a ClientHello on the plain port). */
const TLS_HANDSHAKE = 0x16;

/** What Go's server says when the protocols are crossed; ggcr clients (crane, cosign) then fall back to plain HTTP at once. */
export const TLS_ON_PLAIN_PORT = 'Client sent an HTTPS request to an HTTP server: use http:// for this port';

interface ParseError extends Error {
  code?: string;
  rawPacket?: Buffer;
}

/**
 * node's 'clientError' (a request the parser refused, or a header timeout), answered as HTTP
 * wants rather than with a reset: 431 for headers over the limit, 408 for headers too slow, a
 * plain 400 for a TLS handshake on the plain port, 400 for anything else; then a lingering close.
 */
export function answerClientError(err: ParseError, socket: Socket): void {
  if (!socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
    // A response is already on its way on this socket (the error came mid-body): nothing to add.
    socket.destroy();
    return;
  }
  if (err.rawPacket?.[0] === TLS_HANDSHAKE) {
    // HTTP/1.0 and a 400, as Go's server answers: a Go TLS client sees "HTTP/" where it wanted a
    // record and reports "server gave HTTP response to HTTPS client", on which ggcr falls back.
    writeRawResponse(socket, errorResponse(new RegistryError('BAD_REQUEST', TLS_ON_PLAIN_PORT)), 'HTTP/1.0');
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    writeRawResponse(socket, errorResponse(new RegistryError('HEADERS_TOO_LARGE')));
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    writeRawResponse(socket, errorResponse(new RegistryError('HEADERS_TIMEOUT')));
  } else {
    writeRawResponse(socket, errorResponse(new RegistryError('BAD_REQUEST', `malformed HTTP request (${err.code ?? 'parse error'})`)));
  }
  closeLingering(socket);
}
