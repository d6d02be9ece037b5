/**
 * A loopback KMS with one asymmetric ECC_NIST_P256 key: Sign (RAW message, ECDSA_SHA_256, a DER
 * signature as real KMS returns it) and GetPublicKey (SubjectPublicKeyInfo DER), the two calls
 * src/adapters/aws/kms-token-signer.ts makes. The private key is generated per run and never
 * leaves this process, as with the real service. Point AWS_ENDPOINT_URL_KMS at `url`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, sign } from 'node:crypto';

export interface FakeKms {
  url: string;
  keyId: string;
  readonly calls: string[];
  stop(): Promise<void>;
}

export async function startFakeKms(keyId = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555'): Promise<FakeKms> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string>;
      calls.push(target);
      const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) return reply(400, { __type: 'MissingAuthenticationTokenException' });
      if (input.KeyId !== keyId) return reply(400, { __type: 'NotFoundException', message: `key ${input.KeyId} not found` });
      if (target === 'TrentService.Sign') {
        if (input.SigningAlgorithm !== 'ECDSA_SHA_256' || input.MessageType !== 'RAW') return reply(400, { __type: 'InvalidKeyUsageException' });
        const signature = sign('sha256', Buffer.from(input.Message ?? '', 'base64'), { key: privateKey, dsaEncoding: 'der' });
        return reply(200, { KeyId: keyId, Signature: signature.toString('base64'), SigningAlgorithm: 'ECDSA_SHA_256' });
      }
      if (target === 'TrentService.GetPublicKey') {
        return reply(200, { KeyId: keyId, KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', PublicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') });
      }
      return reply(400, { __type: 'UnknownOperationException' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, keyId, calls, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
