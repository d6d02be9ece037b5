/**
 * `stowage backup DIR` and `stowage restore DIR`: a consistent copy of an embedded data directory,
 * taken while the server runs. A backup is itself a data directory (plus BACKUP.json), so it can be
 * checked with `stowage check --data-dir DIR` or served as it is.
 *
 * Why the order is SQLite first, blobs second: SQLite's online backup API (better-sqlite3's
 * `db.backup`) copies the database as of one read transaction, whatever the server writes
 * meanwhile. Blob files are content-addressed and never change once committed, and the server
 * commits a blob's file (fsync + rename) before it writes any link to it; so every blob the
 * snapshot links existed when the snapshot was taken, and copying it afterwards copies exactly
 * the bytes the snapshot meant. (Copying blobs first would miss those pushed between the copy and
 * the snapshot, leaving links to nothing.) The one race left is a blob deleted after the snapshot
 * and before its copy: its links are removed from the copy and reported, which is the state the
 * deletion itself leaves. Uploads in progress are not backed up (their sessions are dropped from
 * the copy); clients start those again.
 *
 * Both commands build the result in a sibling directory and rename it into place last, so an
 * interrupted run leaves no directory that looks complete. `restore` also scrubs the copy
 * (every blob rehashed, metadata cross-checked) before renaming it, and refuses a damaged backup.
 */
import { constants, type Dirent } from 'node:fs';
import { chmod, copyFile, mkdir, open, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { DataPaths } from './paths.js';
import { problemLine, scrubDataDir } from './scrub.js';
import { openMetadataDb } from './sqlite-metadata-store.js';
import { SCHEMA_VERSION } from './sqlite-migrations.js';

/** The file that marks a directory as a backup, with what it holds. */
const MARKER = 'BACKUP.json';

export interface BackupReport {
  dir: string;
  blobs: number;
  bytes: number;
  repositories: number;
  manifests: number;
  /** Blobs the snapshot linked that were deleted before they could be copied (links dropped). */
  vanished: string[];
}

/** Files of the data directory a backup carries besides the database and blobs. */
function extraFiles(paths: DataPaths): string[] {
  return [paths.usersFile, paths.signingKey];
}

export async function backupDataDir(root: string, dest: string): Promise<BackupReport> {
  const source = new DataPaths(resolve(root));
  const target = resolve(dest);
  await ensureFresh(target, 'backup');
  const work = `${target}.partial-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true, mode: 0o700 });
  try {
    const copy = new DataPaths(work);
    const live = openMetadataDb(source.metadataDb, { fileMustExist: true });
    try {
      await live.backup(copy.metadataDb);
    } finally {
      live.close();
    }
    const snapshot = openMetadataDb(copy.metadataDb);
    const report: BackupReport = { dir: target, blobs: 0, bytes: 0, repositories: 0, manifests: 0, vanished: [] };
    try {
      snapshot.prepare('DELETE FROM uploads').run();
      const digests = (snapshot.prepare('SELECT DISTINCT digest FROM blob_links ORDER BY digest').all() as { digest: string }[]).map((r) => r.digest);
      for (const digest of digests) {
        const from = source.blob(digest);
        const to = copy.blob(digest);
        await mkdir(dirname(to), { recursive: true, mode: 0o700 });
        try {
          await copyFile(from, to, constants.COPYFILE_FICLONE);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          snapshot.prepare('DELETE FROM blob_links WHERE digest = ?').run(digest);
          report.vanished.push(digest);
          continue;
        }
        report.blobs++;
        report.bytes += (await stat(to)).size;
      }
      report.repositories = (snapshot.prepare('SELECT COUNT(*) AS n FROM repositories').get() as { n: number }).n;
      report.manifests = (snapshot.prepare('SELECT COUNT(*) AS n FROM manifests').get() as { n: number }).n;
      // Fold the WAL into the file, so the backup is one self-contained database file.
      snapshot.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      snapshot.close();
    }
    for (const file of extraFiles(source)) await copyIfPresent(file, join(work, basename(file)));
    const { dir: _dir, ...counts } = report;
    const marker = { format: 'stowage-backup', schemaVersion: SCHEMA_VERSION, createdAt: new Date().toISOString(), from: source.root, ...counts };
    await writeFile(join(work, MARKER), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o600 });
    await syncTree(work);
    await rename(work, target);
    await syncDir(dirname(target));
    return report;
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

export interface RestoreReport {
  dir: string;
  blobs: number;
  bytes: number;
  manifests: number;
}

export async function restoreDataDir(backup: string, root: string): Promise<RestoreReport> {
  const from = new DataPaths(resolve(backup));
  const target = resolve(root);
  try {
    await stat(join(from.root, MARKER));
  } catch {
    throw new Error(`${from.root} is not a stowage backup (no ${MARKER}): make one with stowage backup DIR`);
  }
  await ensureFresh(target, 'restore into');
  const work = `${target}.restoring-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true, mode: 0o700 });
  try {
    const to = new DataPaths(work);
    await copyTree(from.blobsDir, to.blobsDir);
    await copyFile(from.metadataDb, to.metadataDb);
    await chmod(to.metadataDb, 0o600);
    for (const file of extraFiles(from)) await copyIfPresent(file, join(work, basename(file)));
    const report = await scrubDataDir(work, { repair: false });
    const damage = report.problems.filter((p) => p.kind !== 'blob-orphan');
    if (damage.length > 0) {
      throw new Error(`the backup in ${from.root} is damaged; nothing was restored:\n${damage.map(problemLine).join('\n')}`);
    }
    await syncTree(work);
    await rename(work, target);
    await syncDir(dirname(target));
    return { dir: target, blobs: report.checked.blobs, bytes: report.checked.bytes, manifests: report.checked.manifests };
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

/** The target must not exist, or be an empty directory (removed here so the rename can land). */
async function ensureFresh(dir: string, what: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      await mkdir(dirname(dir), { recursive: true });
      return;
    }
    throw new Error(`cannot ${what} ${dir}: ${code ?? (err as Error).message}`);
  }
  if (entries.length > 0) throw new Error(`cannot ${what} ${dir}: it is not empty (choose a new directory; nothing is overwritten)`);
  await rmdir(dir);
}

async function copyIfPresent(from: string, to: string): Promise<void> {
  try {
    await copyFile(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await chmod(to, 0o600);
}

async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o700 });
  let entries: Dirent[];
  try {
    entries = await readdir(from, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) {
    if (e.isDirectory()) await copyTree(join(from, e.name), join(to, e.name));
    else if (e.isFile()) await copyFile(join(from, e.name), join(to, e.name), constants.COPYFILE_FICLONE);
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const syncDir = syncFile;

/** fsyncs every file and directory under `dir`, so the rename publishes durable content. */
async function syncTree(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await syncTree(path);
    else await syncFile(path);
  }
  await syncDir(dir);
}
