/**
 * Signs the registry's own tokens (IAM logins) with a KMS asymmetric key (ECC_NIST_P256,
 * ES256), and hands out its public key for verification.
 *
 * Why KMS rather than a key in Secrets Manager: the private key never leaves KMS, so no Lambda,
 * log or environment can leak it and no component that only verifies (the authorizer, the
 * upload service) can mint; each signature is one kms:Sign call ($0.15 per 10,000 asymmetric
 * requests at list price, against Cognito's per-token price for machine logins); the key costs
 * $1 a month, only with IAM login on. Verifiers fetch the public key once per container
 * (kms:GetPublicKey) and verify locally.
 *
 * Two calls of KMS's JSON API, signed with SigV4 by the SDK's own signer: the project carries no
 * KMS client. The endpoint follows the SDK's convention (AWS_ENDPOINT_URL_KMS, for a fake in
 * tests); credentials come from the SDK's default chain, loaded on the first KMS call: the
 * anonymous-pull authorizer carries this module and must not load an AWS SDK module at cold
 * start (test/lambda/bundle-contents.test.ts).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

let defaultChain: Promise<AwsCredentialIdentityProvider> | undefined;

/** The SDK's default credential chain, imported and built on first use, then shared. */
const defaultCredentials: AwsCredentialIdentityProvider = async (options) => {
  defaultChain ??= import('@aws-sdk/credential-provider-node').then((m) => m.defaultProvider());
  return (await defaultChain)(options);
};

/** What mints and verifies the registry's tokens need of a key. */
export interface TokenSigner {
  /** The key's id, written as the tokens' `kid`. */
  readonly keyId: string;
  /** An ES256 signature of `message` in JWS form (r || s, 64 bytes). */
  sign(message: Buffer): Promise<Buffer>;
  /** The public key (fetched once). */
  publicKey(): Promise<KeyObject>;
}

export interface KmsSignerOptions {
  keyId: string;
  region: string;
  /** Default: AWS_ENDPOINT_URL_KMS, else https://kms.<region>.amazonaws.com. */
  endpoint?: string;
  credentials?: AwsCredentialIdentityProvider;
  fetch?: typeof fetch;
}

export class KmsTokenSigner implements TokenSigner {
  readonly keyId: string;
  private readonly endpoint: URL;
  private readonly signer: SignatureV4;
  private readonly send: typeof fetch;
  private key: Promise<KeyObject> | undefined;

  constructor(options: KmsSignerOptions) {
    this.keyId = options.keyId;
    this.endpoint = new URL(options.endpoint ?? process.env.AWS_ENDPOINT_URL_KMS ?? `https://kms.${options.region}.amazonaws.com`);
    this.signer = new SignatureV4({ service: 'kms', region: options.region, credentials: options.credentials ?? defaultCredentials, sha256: Hash.bind(null, 'sha256') });
    this.send = options.fetch ?? fetch;
  }

  async sign(message: Buffer): Promise<Buffer> {
    const answer = await this.call('Sign', { KeyId: this.keyId, Message: message.toString('base64'), MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' });
    if (typeof answer.Signature !== 'string') throw new Error('KMS Sign answered without a Signature');
    return derToJose(Buffer.from(answer.Signature, 'base64'));
  }

  publicKey(): Promise<KeyObject> {
    this.key ??= this.call('GetPublicKey', { KeyId: this.keyId }).then((answer) => {
      if (typeof answer.PublicKey !== 'string') throw new Error('KMS GetPublicKey answered without a PublicKey');
      return createPublicKey({ key: Buffer.from(answer.PublicKey, 'base64'), format: 'der', type: 'spki' });
    });
    // A failure is not cached: the next verification asks again.
    this.key.catch(() => {
      this.key = undefined;
    });
    return this.key;
  }

  private async call(action: 'Sign' | 'GetPublicKey', input: Record<string, string>): Promise<Record<string, unknown>> {
    const body = JSON.stringify(input);
    const url = this.endpoint;
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port && { port: Number(url.port) }),
      path: '/',
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${action}` },
      body,
    });
    const res = await this.send(new URL('/', url), { method: 'POST', headers: signed.headers as Record<string, string>, body });
    const text = await res.text();
    if (!res.ok) throw new Error(`KMS ${action} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as Record<string, unknown>;
  }
}

/** An ECDSA P-256 signature from DER (what KMS returns) to JWS's r || s of 32 bytes each. */
export function derToJose(der: Buffer): Buffer {
  // SEQUENCE { INTEGER r, INTEGER s }; for P-256 every length fits one byte.
  if (der[0] !== 0x30) throw new Error('not a DER ECDSA signature');
  let at = 2;
  const integer = (): Buffer => {
    if (der[at] !== 0x02) throw new Error('not a DER ECDSA signature');
    const length = der[at + 1]!;
    const value = der.subarray(at + 2, at + 2 + length);
    at += 2 + length;
    const trimmed = value.subarray(Math.max(0, value.length - 32));
    return Buffer.concat([Buffer.alloc(32 - trimmed.length), trimmed]);
  };
  return Buffer.concat([integer(), integer()]);
}
