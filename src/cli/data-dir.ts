/**
 * The data directory, made and checked before anything else uses it, so that a directory that
 * cannot be created or written is one line and exit status 1 at once. Node's
 * `mkdir(..., { recursive: true })` loops forever where mkdir answers ENOENT under a parent that
 * exists (`--data-dir /proc/nope`), so the missing components are made one by one here.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { SETTINGS } from '../config/settings.js';
import { DataPaths, PRIVATE_DIR } from '../adapters/embedded/paths.js';

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

function refused(dir: string, what: string): Error {
  return new Error(`the data directory ${dir} ${what}: choose another with --${SETTINGS.dataDir.flag} (${SETTINGS.dataDir.env})`);
}

/** Creates `dir` (and missing parents) and proves it writable; throws one line otherwise. */
export async function prepareDataDir(dir: string): Promise<void> {
  const root = resolve(dir);
  const missing: string[] = [];
  // Walk up to the nearest existing ancestor, noting what is missing below it.
  for (let at = root; ; at = dirname(at)) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(at)).isDirectory();
    } catch (err) {
      if (codeOf(err) !== 'ENOENT') throw refused(root, `cannot be created (${at}: ${codeOf(err)})`);
      missing.unshift(at);
      if (dirname(at) === at) break;
      continue;
    }
    if (!isDirectory) throw refused(root, `cannot be created: ${at} is not a directory`);
    break;
  }
  for (const d of missing) {
    try {
      // The data directory itself is private (./../adapters/embedded/paths.ts); parents as usual.
      await mkdir(d, d === root ? { mode: PRIVATE_DIR } : {});
    } catch (err) {
      if (codeOf(err) !== 'EEXIST') throw refused(root, `cannot be created (mkdir ${d}: ${codeOf(err)})`);
    }
  }
  const probe = join(root, `.write-test-${process.pid}`);
  try {
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (err) {
    throw refused(root, `cannot be written (${codeOf(err)})`);
  }
}

/**
 * What in the data directory other local users may read or enter: the directory itself and the
 * entries made before Stowage kept them private (issue 12), as `path (mode)`. Not the blobs one
 * by one: their directories' modes already decide who reaches them, and a scan could be long.
 */
export async function widerThanPrivate(dir: string): Promise<string[]> {
  const paths = new DataPaths(resolve(dir));
  const wide: string[] = [];
  for (const path of [
    paths.root,
    paths.blobsDir,
    paths.uploadsDir,
    paths.metadataDb,
    `${paths.metadataDb}-wal`,
    `${paths.metadataDb}-shm`,
    paths.eventLog,
    paths.auditLog,
    paths.usersFile,
    paths.signingKey,
  ]) {
    try {
      const mode = (await stat(path)).mode & 0o777;
      if ((mode & 0o077) !== 0) wide.push(`${path} (${mode.toString(8).padStart(4, '0')})`);
    } catch {
      // Absent: nothing to widen.
    }
  }
  return wide;
}
