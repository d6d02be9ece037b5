/**
 * Raw HTTP/1.1 over node:net for tests of framing and of hostile clients: fetch and http.Agent
 * would hide a framing error (or a dropped socket) by opening a new connection.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** One connection; responses are read strictly by their Content-Length, as a client would. */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  private ended = false;
  private error: Error | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    socket.on('error', (err) => {
      this.error = err;
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiting?.();
    });
  }

  /** Connects, from `localAddress` when given (another 127.x address counts as another client). */
  static open(url: string, localAddress?: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ port: Number(port), host: hostname, ...(localAddress && { localAddress }) }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes bytes as they are (a partial request, a body sent in pieces, a TLS record). */
  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** A request's head only (its body to follow through write()). */
  startRequest(method: string, path: string, headers: Record<string, string>): void {
    const lines = [`${method} ${path} HTTP/1.1`, 'host: registry.test', 'connection: keep-alive'];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  }

  /** The next response, read by its Content-Length (any HTTP/1.x version). */
  response(head = false): Promise<RawResponse> {
    return this.read(head);
  }

  /** Resolves once the server has closed the connection (or rejects after `ms`). */
  async closedByServer(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.ended) {
      assert.ok(Date.now() < deadline, `the server did not close the connection within ${ms} ms`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 100);
      });
      this.waiting = null;
    }
  }

  /** Whether the connection has closed (either side). */
  get isClosed(): boolean {
    return this.ended;
  }

  /** Whether the socket met an error (a reset) rather than an orderly close. */
  get errored(): Error | undefined {
    return this.error;
  }

  async send(method: string, path: string, headers: Record<string, string> = {}, body: Buffer = Buffer.alloc(0)): Promise<RawResponse> {
    const lines = [`${method} ${path} HTTP/1.1`, 'host: registry.test', 'connection: keep-alive', `content-length: ${body.byteLength}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    this.socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]));
    return this.read(method === 'HEAD');
  }

  private async read(head: boolean): Promise<RawResponse> {
    const headEnd = await this.until(() => this.buffer.indexOf('\r\n\r\n'));
    const [statusLine = '', ...headerLines] = this.buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) /.exec(statusLine);
    assert.ok(m, `a response starts with a status line, not ${JSON.stringify(statusLine.slice(0, 80))}`);
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    assert.ok(headers['content-length'] !== undefined, `response ${m[1]} has a Content-Length`);
    const length = head ? 0 : Number(headers['content-length']);
    const start = headEnd + 4;
    await this.until(() => (this.buffer.byteLength >= start + length ? 0 : -1));
    const body = this.buffer.subarray(start, start + length);
    this.buffer = this.buffer.subarray(start + length);
    return { status: Number(m[1]), headers, body };
  }

  /** Waits until `found` returns an index >= 0 (more bytes arrive), failing if the server closes first. */
  private async until(found: () => number): Promise<number> {
    for (;;) {
      const at = found();
      if (at >= 0) return at;
      assert.ok(!this.ended, 'the server closed the connection');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
      this.waiting = null;
    }
  }

  /** Bytes the server sent beyond the responses read so far. */
  async leftover(): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return this.buffer.toString('latin1');
  }

  close(): void {
    this.socket.destroy();
  }
}
