/**
 * Password hashes for local users: argon2id (hash-wasm) in the PHC string format
 * `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, with OWASP's minimum parameters (19 MiB,
 * 2 passes, 1 lane): slow enough to make offline guessing expensive, fast enough (tens of ms)
 * for a login. Parameters live in each hash, so raising them later keeps old hashes valid.
 *
 * Verification also accepts bcrypt hashes (`$2y$`, `$2a$`, `$2b$`: Apache `htpasswd -B`, what
 * distribution and zot users have), checked with bcryptjs, so users imported from an htpasswd
 * file (./htpasswd.ts) keep their passwords. New passwords are always hashed with argon2id.
 *
 * Verification recomputes the hash and compares with crypto.timingSafeEqual. verifyUnknownUser
 * does the same work against a fixed dummy hash, so an unknown user costs what a wrong password
 * costs and timing reveals nothing about which names exist.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { argon2id } from 'hash-wasm';

export const ARGON2_PARAMS = { memorySize: 19_456, iterations: 2, parallelism: 1, hashLength: 32 } as const;

const PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** A bcrypt hash as htpasswd -B writes it: version, cost, 22 characters of salt, 31 of hash. */
export const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

const b64 = (s: string) => Buffer.from(s, 'base64');

export async function hashPassword(password: string): Promise<string> {
  return argon2id({ ...ARGON2_PARAMS, password, salt: randomBytes(16), outputType: 'encoded' });
}

/** True when `password` matches the hash (argon2id PHC or bcrypt); false (never an error) for a malformed hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (BCRYPT.test(hash)) return password !== '' && (await bcrypt.compare(password, hash));
  const m = PHC.exec(hash);
  if (!m) return false;
  const expected = b64(m[5]!);
  // hash-wasm refuses an empty password; an empty one never matches, but costs a hash all the same.
  const actual = await argon2id({
    password: password === '' ? '\0' : password,
    salt: b64(m[4]!),
    memorySize: Number(m[1]),
    iterations: Number(m[2]),
    parallelism: Number(m[3]),
    hashLength: expected.length,
    outputType: 'binary',
  });
  return password !== '' && expected.length === actual.length && timingSafeEqual(expected, actual);
}

let dummy: Promise<string> | undefined;

/** Spends the time of one verification and answers false: for a name no user has. */
export async function verifyUnknownUser(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummy);
  return false;
}
