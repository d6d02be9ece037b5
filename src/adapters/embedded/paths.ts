/**
 * Every file path of the embedded deployment, built here and nowhere else.
 *
 *   <data-dir>/
 *     metadata.sqlite            repositories, links, manifests, tags, referrers, uploads, webhook
 *                                outbox (schema: sqlite-migrations.ts)
 *     events.jsonl               one event envelope per line
 *     audit.jsonl                one audit record per state-changing or refused request
 *     users.json                 local users: name, groups, argon2id hash (0600)
 *     token-signing-key.pem      ES256 private key (PKCS#8) that signs tokens, made on first start (0600)
 *     blobs/<alg>/<hh>/<hex>     committed blob content, named by digest (hh = first two hex digits)
 *     uploads/<upload-id>        bytes of an upload in progress
 *     reclaim/<alg>-<hex>        a blob the collector has hidden while it checks nothing links it
 *                                (deleted, or renamed back into blobs/ when something does)
 *
 * Everything here is private to the server's user whatever the umask: directories PRIVATE_DIR
 * (0700), files PRIVATE_FILE (0600). Blobs are private layers, and any local user could read them
 * (and the metadata) past the registry's auth otherwise.
 */
import { join } from 'node:path';

/** The mode of every directory of the data directory (narrowed further by a stricter umask only). */
export const PRIVATE_DIR = 0o700;
/** The mode of every file of the data directory. */
export const PRIVATE_FILE = 0o600;

export class DataPaths {
  constructor(readonly root: string) {}

  get metadataDb(): string {
    return join(this.root, 'metadata.sqlite');
  }
  get eventLog(): string {
    return join(this.root, 'events.jsonl');
  }
  get auditLog(): string {
    return join(this.root, 'audit.jsonl');
  }
  get usersFile(): string {
    return join(this.root, 'users.json');
  }
  get signingKey(): string {
    return join(this.root, 'token-signing-key.pem');
  }
  get blobsDir(): string {
    return join(this.root, 'blobs');
  }
  get uploadsDir(): string {
    return join(this.root, 'uploads');
  }

  get reclaimDir(): string {
    return join(this.root, 'reclaim');
  }

  /** Where reclaim() hides a blob: same filesystem as blobs/, so hiding and restoring are renames. */
  reclaimed(digest: string): string {
    const blob = this.blob(digest);
    const [alg = ''] = digest.split(':');
    return join(this.reclaimDir, `${alg}-${blob.slice(blob.lastIndexOf('/') + 1)}`);
  }

  /** The digest a file under reclaim/ hides, or null for a name reclaimed() never makes. */
  reclaimedDigest(name: string): string | null {
    const m = /^([a-z0-9]+)-([0-9a-f]{64,128})$/.exec(name);
    return m ? `${m[1]}:${m[2]}` : null;
  }

  /** Digests reach here already validated by the core (`alg:lowerhex`), so they are path-safe. */
  blob(digest: string): string {
    const [alg = '', hex = ''] = digest.split(':');
    if (!/^[a-z0-9]+$/.test(alg) || !/^[0-9a-f]{64,128}$/.test(hex)) throw new Error(`not a validated digest: ${digest}`);
    return join(this.blobsDir, alg, hex.slice(0, 2), hex);
  }

  upload(id: string): string {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new Error(`not an upload id: ${id}`);
    return join(this.uploadsDir, id);
  }
}
