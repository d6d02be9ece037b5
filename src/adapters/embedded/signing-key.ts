/**
 * The key that signs the embedded server's tokens: an ES256 (P-256) key pair made on first
 * start and kept as PKCS#8 PEM in the data directory, readable by its owner only (0600). It is
 * created with O_EXCL, so two processes starting at once agree on one key. Replacing the file
 * (and restarting) invalidates every outstanding token.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Key id for the JWT header: a hash of the public key (SPKI DER). */
  kid: string;
}

export async function loadOrCreateSigningKey(path: string): Promise<SigningKey> {
  let pem: string;
  try {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    pem = await readFile(path, 'utf8');
    // A key others can read lets them mint tokens: tighten it rather than run with it.
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  }
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`${path} is not a P-256 private key; remove it to have a new one made (outstanding tokens become invalid)`);
  }
  const publicKey = createPublicKey(privateKey);
  const kid = createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('base64url')
    .slice(0, 16);
  return { privateKey, publicKey, kid };
}
