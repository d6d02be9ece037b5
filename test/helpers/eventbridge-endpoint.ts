/**
 * No EventBridge emulator exists, so tests check publishers at their wire boundary: the real SDK
 * client sends PutEvents to this small local HTTP server, which records each request and answers
 * in the AWS JSON 1.1 protocol, refusing entries or failing calls as a test asks.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

export interface RecordedEntry {
  EventBusName: string;
  Source: string;
  DetailType: string;
  Detail: string;
  Time?: number | string;
}

export interface RecordedCall {
  target: string | undefined;
  body: { Entries: RecordedEntry[] };
}

/**
 * How one PutEvents call is answered: entries refused by index (FailedEntryCount, ErrorCode
 * InternalFailure), or an error for the whole call (a 4xx the SDK does not retry).
 */
export type PutEventsAnswer = { refuse?: number[] } | { error: { status: number; type: string; message: string } };

export interface RecordingEventBridgeEndpoint {
  url: string;
  /** Every call, in arrival order (refused and failed ones included). */
  requests: RecordedCall[];
  /** A client for this endpoint (test credentials). */
  client(): EventBridgeClient;
  close(): Promise<void>;
}

/** `answer` gets the 0-based call number and the call's entries; by default every entry arrives. */
export async function startRecordingEventBridgeEndpoint(answer: (call: number, entries: RecordedEntry[]) => PutEventsAnswer = () => ({})): Promise<RecordingEventBridgeEndpoint> {
  const requests: RecordedCall[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as RecordedCall['body'];
      const call = requests.length;
      requests.push({ target: req.headers['x-amz-target'] as string | undefined, body });
      const decision = answer(call, body.Entries);
      if ('error' in decision) {
        res.writeHead(decision.error.status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: decision.error.type, message: decision.error.message }));
        return;
      }
      const refuse = new Set(decision.refuse ?? []);
      const entries = body.Entries.map((_, i) => (refuse.has(i) ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' } : { EventId: `id-${call}-${i}` }));
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ FailedEntryCount: refuse.size, Entries: entries }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    client: () => new EventBridgeClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
