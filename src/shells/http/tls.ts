/**
 * The certificate and key the HTTPS server presents, read from PEM files and checked as a pair
 * before use, so that a bad pair (unreadable file, mismatched key, not PEM) is refused at start
 * and, on a SIGHUP reload, leaves the pair in service untouched.
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/** The pair, after node's TLS layer accepted it; throws a one-line reason otherwise. */
export function checkedTlsPair(pair: TlsPair): TlsPair {
  try {
    createSecureContext(pair);
  } catch (err) {
    throw new Error(`the TLS certificate and key are not a usable pair: ${(err as Error).message}`);
  }
  return pair;
}

/** Reads and checks the certificate chain and private key files. */
export async function readTlsPair(certFile: string, keyFile: string): Promise<TlsPair> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  return checkedTlsPair({ cert, key });
}
