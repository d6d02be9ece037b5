/**
 * A loopback STS that answers GetCallerIdentity only for a request correctly signed (SigV4) with
 * one of its known credentials, in the XML shapes of the real STS (answer and ErrorResponse), so
 * that an IAM login test fails when the registry changes a signed byte. The signature is
 * recomputed with the SDK's own signer (@smithy/signature-v4) over exactly the headers the
 * request says it signed, with the Host header as received (the registry keeps the signed
 * `sts.amazonaws.com` while sending here). It also refuses signatures outside STS's 15-minute
 * window (RequestExpired), and counts every request it gets.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface FakeIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** What GetCallerIdentity answers, e.g. arn:aws:sts::123456789012:assumed-role/build/session. */
  arn: string;
}

export interface FakeSts {
  url: string;
  /** Requests received (any outcome). */
  readonly calls: { host: string | undefined; code: string }[];
  stop(): Promise<void>;
}

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/sts\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

function errorXml(code: string, message: string): string {
  return `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${code}</Code>\n    <Message>${message}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`;
}

function answerXml(arn: string): string {
  const account = arn.split(':')[4];
  return `<GetCallerIdentityResponse xmlns="${NS}">\n  <GetCallerIdentityResult>\n    <Arn>${arn}</Arn>\n    <UserId>AROAEXAMPLEID:session</UserId>\n    <Account>${account}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${randomUUID()}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function check(req: IncomingMessage, body: string, identities: readonly FakeIdentity[], now: () => number): Promise<{ status: number; xml: string; code: string }> {
  const refuse = (code: string, message: string, status = 403) => ({ status, xml: errorXml(code, message), code });
  const auth = AUTH.exec(String(req.headers.authorization ?? ''));
  if (!auth) return refuse('IncompleteSignature', 'Authorization header requires a valid SigV4 signature.', 400);
  const [, keyId, , region, signedHeaders, signature] = auth;
  const identity = identities.find((i) => i.accessKeyId === keyId);
  if (!identity) return refuse('InvalidClientTokenId', 'The security token included in the request is invalid.');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) return refuse('IncompleteSignature', 'X-Amz-Date is missing.', 400);
  const signedAt = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  if (Math.abs(now() - signedAt.getTime()) > 15 * 60 * 1000) return refuse('RequestExpired', `Request has expired. Timestamp date is ${amzDate}`, 400);
  const headers: Record<string, string> = {};
  for (const name of signedHeaders!.split(';')) headers[name] = String(req.headers[name] ?? '');
  const signer = new SignatureV4({
    service: 'sts',
    region: region!,
    credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey, ...(identity.sessionToken && { sessionToken: identity.sessionToken }) },
    sha256: Hash.bind(null, 'sha256'),
  });
  const expected = await signer.sign(
    { method: req.method ?? 'GET', protocol: 'https:', hostname: headers.host ?? '', path: (req.url ?? '/').split('?')[0]!, query: {}, headers, body },
    { signingDate: signedAt },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1];
  const expectedSigned = /SignedHeaders=([a-z0-9;-]+)/.exec(String(expected.headers.authorization))?.[1];
  if (expectedSignature !== signature || expectedSigned !== signedHeaders) {
    return refuse('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  const params = new URLSearchParams(body);
  if (params.get('Action') !== 'GetCallerIdentity') return refuse('InvalidAction', 'Could not find operation for this fake.', 400);
  return { status: 200, xml: answerXml(identity.arn), code: 'OK' };
}

export async function startFakeSts(identities: readonly FakeIdentity[], options: { now?: () => number } = {}): Promise<FakeSts> {
  const calls: FakeSts['calls'] = [];
  const now = options.now ?? Date.now;
  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((body) => check(req, body, identities, now))
      .then(({ status, xml, code }) => {
        calls.push({ host: req.headers.host, code });
        res.writeHead(status, { 'content-type': 'text/xml' }).end(xml);
      })
      .catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, calls, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
