/**
 * Filesystem BlobStore. Uploads are written into one file per upload; committing fsyncs it and
 * renames it atomically into its content-addressed place, so a blob is either wholly visible
 * or not at all, and finalising costs no copy whatever the size.
 */
import { constants, createReadStream, renameSync, statSync } from 'node:fs';
import { access, type FileHandle, mkdir, open, readdir, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { eachConcurrently } from '../../core/each-concurrently.js';
import type { BlobContent, BlobStore, ByteRange, StoredBlob } from '../../ports/blob-store.js';
import { DataPaths, PRIVATE_DIR, PRIVATE_FILE } from './paths.js';
import { FileBody } from './file-body.js';
import { inTimeSlices } from './time-slices.js';
import { writeBody } from './upload-writer.js';

/** Unlinks of reclaimed blobs queued to the thread pool at once (settleHidden). */
const UNLINKS_IN_FLIGHT = 16;

export class FsBlobStore implements BlobStore {
  private readonly paths: DataPaths;
  readonly uploadsReadable = true;

  constructor(root: string) {
    this.paths = new DataPaths(root);
  }

  async init(): Promise<void> {
    await mkdir(this.paths.blobsDir, { recursive: true, mode: PRIVATE_DIR });
    await mkdir(this.paths.uploadsDir, { recursive: true, mode: PRIVATE_DIR });
    await mkdir(this.paths.reclaimDir, { recursive: true, mode: PRIVATE_DIR });
  }

  /** Both directories exist and are writable (a removed or read-only volume fails); writes nothing. */
  async check(): Promise<void> {
    for (const dir of [this.paths.blobsDir, this.paths.uploadsDir]) {
      try {
        if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
        await access(dir, constants.W_OK);
      } catch (err) {
        throw new Error(`${dir} is not a writable directory: ${(err as Error).message}`);
      }
    }
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    try {
      return { size: (await stat(this.paths.blob(digest))).size };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async open(digest: string, range?: ByteRange): Promise<BlobContent | null> {
    const path = this.paths.blob(digest);
    // Open first so a missing blob is a clean null rather than a stream error mid-response.
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    try {
      const end = range ? range.end : (await handle.stat()).size - 1;
      return { kind: 'bytes', body: new FileBody(handle, range?.start ?? 0, end) };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async delete(digest: string): Promise<void> {
    await rm(this.paths.blob(digest), { force: true });
  }

  /**
   * Walks blobs/<alg>/<hh>/ in name order, which is digest order, skipping whole directories
   * before `last`. A listing from the start first puts back blobs a crashed reclaim left hidden.
   */
  async listBlobs(page: { limit: number; last?: string }): Promise<{ items: StoredBlob[]; more: boolean }> {
    if (page.last === undefined) await this.restoreHidden();
    const [lastAlg = '', lastHex = ''] = page.last?.split(':') ?? [];
    const digests: string[] = [];
    let more = false;
    walk: for (const alg of await sortedNames(this.paths.blobsDir)) {
      if (alg < lastAlg) continue;
      for (const hh of await sortedNames(`${this.paths.blobsDir}/${alg}`)) {
        if (alg === lastAlg && hh < lastHex.slice(0, 2)) continue;
        for (const hex of await sortedNames(`${this.paths.blobsDir}/${alg}/${hh}`)) {
          const digest = `${alg}:${hex}`;
          if (page.last !== undefined && digest <= page.last) continue;
          if (digests.length === page.limit) {
            more = true;
            break walk;
          }
          digests.push(digest);
        }
      }
    }
    // Synchronous stats in time slices (time-slices.ts: a thread-pool round trip per blob cost more).
    const items: StoredBlob[] = [];
    await inTimeSlices(digests, (digest) => {
      const info = statSync(this.paths.blob(digest), { throwIfNoEntry: false });
      if (info) items.push({ digest, modifiedAt: info.mtime.toISOString() });
    });
    return { items, more };
  }

  /**
   * Hides each blob by renaming it into reclaim/ (atomic: a reader or a commit sees it present or
   * absent, and a commit that finds it absent renames its own copy in). The modification time
   * passed on is the hidden file's, read after the rename, so a commit that refreshed it just
   * before is seen. Kept blobs are renamed back; a copy committed meanwhile is the same bytes.
   * Hiding and putting back are synchronous calls, in time slices (time-slices.ts); see settleHidden for the unlinks.
   */
  async reclaim(digests: readonly string[], stillUnused: (hidden: readonly StoredBlob[]) => Promise<ReadonlySet<string>>): Promise<{ digest: string; size: number }[]> {
    const hidden: { digest: string; modifiedAt: string; size: number }[] = [];
    let answered = false;
    try {
      await inTimeSlices(digests, (digest) => {
        try {
          renameSync(this.paths.blob(digest), this.paths.reclaimed(digest));
        } catch (err) {
          if (isNotFound(err)) return;
          throw err;
        }
        const blob = { digest, modifiedAt: '', size: 0 };
        hidden.push(blob); // before the stat: put back should it fail
        const info = statSync(this.paths.reclaimed(digest));
        blob.modifiedAt = info.mtime.toISOString();
        blob.size = info.size;
      });
      const unused = await stillUnused(hidden.map(({ digest, modifiedAt }) => ({ digest, modifiedAt })));
      answered = true;
      return await this.settleHidden(hidden, unused);
    } finally {
      if (!answered) await this.settleHidden(hidden, new Set());
    }
  }

  /**
   * Renames back the hidden blobs not named in `unused` and deletes the others, every one of
   * them even when one fails (a kept blob must not stay hidden), then throws the first failure.
   * Renames are quick synchronous calls; the unlinks go through the thread pool, several at once:
   * unlinking a file with data waits on the disk to free its blocks (about 0.4 ms a file on the
   * bench machine's ext4, mounted with discard), and the waits overlap.
   */
  private async settleHidden(hidden: readonly { digest: string; size: number }[], unused: ReadonlySet<string>): Promise<{ digest: string; size: number }[]> {
    let failure: { error: unknown } | undefined;
    await inTimeSlices(hidden, ({ digest }) => {
      try {
        if (!unused.has(digest)) renameSync(this.paths.reclaimed(digest), this.paths.blob(digest));
      } catch (error) {
        failure ??= { error };
      }
    });
    const freed = hidden.filter((b) => unused.has(b.digest));
    try {
      // unlink, not rm: one call (rm first lstats, to choose between a file and a directory).
      await eachConcurrently(freed, UNLINKS_IN_FLIGHT, (b) => unlink(this.paths.reclaimed(b.digest)).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err))));
    } catch (error) {
      failure ??= { error };
    }
    if (failure) throw failure.error;
    return freed.map(({ digest, size }) => ({ digest, size }));
  }

  /** Puts back every blob a crashed reclaim left hidden (the next sweep decides again). */
  private async restoreHidden(): Promise<void> {
    for (const name of await sortedNames(this.paths.reclaimDir)) {
      const digest = this.paths.reclaimedDigest(name);
      if (!digest) continue;
      await mkdir(dirname(this.paths.blob(digest)), { recursive: true });
      await rename(`${this.paths.reclaimDir}/${name}`, this.paths.blob(digest));
    }
  }

  async createUpload(uploadId: string): Promise<null> {
    const handle = await open(this.paths.upload(uploadId), 'wx', PRIVATE_FILE);
    await handle.close();
    return null;
  }

  async writeUpload(uploadId: string, state: unknown, offset: number, body: AsyncIterable<Uint8Array>): Promise<{ written: number; state: unknown }> {
    const handle = await open(this.paths.upload(uploadId), 'r+');
    try {
      // Drop anything a failed earlier attempt left past the offset.
      await handle.truncate(offset);
      return { written: await writeBody(handle, offset, body), state };
    } catch (err) {
      await handle.truncate(offset).catch(() => {});
      throw err;
    } finally {
      await handle.close();
    }
  }

  async *readUpload(uploadId: string, _state: unknown, length: number): AsyncIterable<Uint8Array> {
    if (length <= 0) return;
    yield* createReadStream(this.paths.upload(uploadId), { start: 0, end: length - 1, highWaterMark: 1 << 20 });
  }

  async commitUpload(uploadId: string, _state: unknown, size: number, digest: string): Promise<void> {
    const source = this.paths.upload(uploadId);
    const target = this.paths.blob(digest);
    // Already there: refresh its modification time (the collector keeps content younger than
    // its grace) and drop ours. Absent, or hidden by a reclaim right now: rename ours in.
    try {
      const now = new Date();
      await utimes(target, now, now);
      await rm(source, { force: true });
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const handle = await open(source, 'r+');
    try {
      await handle.truncate(size);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await mkdir(dirname(target), { recursive: true, mode: PRIVATE_DIR });
    await rename(source, target);
    await syncDir(dirname(target));
  }

  async deleteUpload(uploadId: string): Promise<void> {
    await rm(this.paths.upload(uploadId), { force: true });
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Entry names of a directory in byte order; none when it does not exist. */
async function sortedNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}
