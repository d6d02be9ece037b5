/**
 * `stowage check`: scrubs an embedded data directory, as zot's scrub does. Every blob file's
 * digest is recomputed; blob links, manifests, tags and referrers in the metadata database are
 * cross-checked with each other and with the files. Every problem is one entry; with `repair`,
 * only what is provably safe to remove is removed, and the entry says what was done:
 *
 * - a corrupt blob (its bytes do not hash to its name): the file and every link to it go, so the
 *   registry answers 404 for it and the next push uploads it again (clients HEAD first);
 * - a link to a blob file that does not exist: the link goes, for the same reason;
 * - a link whose size disagrees with its verified file: the size is corrected;
 * - a manifest whose bytes do not hash to its digest: it goes with its tags and referrer entries,
 *   as a manifest DELETE would; the next push of the image puts it back;
 * - a tag or referrer entry naming a manifest the repository does not have: it goes.
 * What cannot be repaired without guessing is reported and left alone: orphan blobs (no link
 * names them; the garbage collector's job, and a blob just committed by a running server is
 * linked a moment later), stray files, manifests that do not parse or that name missing content.
 *
 * It reads the database through its own connection, so it runs beside a running server (WAL
 * readers do not block it); repairs are single statements, each safe against concurrent pushes.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Dirent, existsSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { isDigestAlgorithm } from '../../core/digest.js';
import { parseManifest } from '../../core/manifest-parse.js';
import { DataPaths } from './paths.js';
import { openMetadataDb } from './sqlite-metadata-store.js';

export type ProblemKind =
  | 'blob-corrupt'
  | 'blob-orphan'
  | 'blob-stray-file'
  | 'link-missing-blob'
  | 'link-size-mismatch'
  | 'manifest-digest-mismatch'
  | 'manifest-unparsable'
  | 'manifest-missing-blob'
  | 'manifest-missing-child'
  | 'tag-dangling'
  | 'referrer-dangling'
  | 'event-dead-letter';

export interface ScrubProblem {
  kind: ProblemKind;
  /** What the problem is about: `repository@digest`, `repository:tag`, a digest or a file path. */
  subject: string;
  detail: string;
  /** What --repair did about it; absent when nothing was done. */
  repaired?: string;
}

export interface ScrubReport {
  checked: { blobs: number; bytes: number; links: number; manifests: number; tags: number; referrers: number };
  problems: ScrubProblem[];
  repaired: number;
  /** Problems left after the run (those without `repaired`). */
  remaining: number;
}

/** Hooks to ask about state kept in other modules (the event outbox's dead letters). */
export interface ScrubExtras {
  deadLetters?: (db: Database.Database) => { id: string; detail: string }[];
}

export async function scrubDataDir(root: string, options: { repair: boolean }, extras: ScrubExtras = {}): Promise<ScrubReport> {
  const paths = new DataPaths(root);
  if (!existsSync(paths.metadataDb)) throw new Error(`${paths.metadataDb} does not exist: is ${root} a stowage data directory (--data-dir)?`);
  const db = openMetadataDb(paths.metadataDb);
  try {
    return await scrub(paths, db, options.repair, extras);
  } finally {
    db.close();
  }
}

async function scrub(paths: DataPaths, db: Database.Database, repair: boolean, extras: ScrubExtras): Promise<ScrubReport> {
  const problems: ScrubProblem[] = [];
  const checked = { blobs: 0, bytes: 0, links: 0, manifests: 0, tags: 0, referrers: 0 };
  const problem = (kind: ProblemKind, subject: string, detail: string, fix?: () => string) => {
    const p: ScrubProblem = { kind, subject, detail };
    if (repair && fix) p.repaired = fix();
    problems.push(p);
  };

  // 1. Blob files: every one rehashed. `good` holds the size of each verified blob.
  const good = new Map<string, number>();
  const linked = new Set((db.prepare('SELECT DISTINCT digest FROM blob_links').all() as { digest: string }[]).map((r) => r.digest));
  for await (const file of blobFiles(paths)) {
    if (!file.digest) {
      problem('blob-stray-file', file.path, 'a file in the blob store whose path is not a digest');
      continue;
    }
    checked.blobs++;
    const { actual, size } = await hashFile(file.path, file.algorithm);
    checked.bytes += size;
    const digest = file.digest;
    if (actual !== digest) {
      problem('blob-corrupt', digest, `the file's bytes hash to ${actual} (${size} bytes)`, () => {
        const links = db.prepare('DELETE FROM blob_links WHERE digest = ?').run(digest).changes;
        rmSync(file.path, { force: true });
        return `removed the file and ${links} link(s); the next push uploads it again`;
      });
      continue;
    }
    good.set(digest, size);
    if (!linked.has(digest)) problem('blob-orphan', digest, `no repository links this blob (${size} bytes); garbage collection reclaims it`);
  }

  // 2. Links: each names a verified blob file of the same size.
  for (const link of db.prepare('SELECT repository, digest, size FROM blob_links ORDER BY repository, digest').all() as { repository: string; digest: string; size: number }[]) {
    checked.links++;
    const subject = `${link.repository}@${link.digest}`;
    const size = good.get(link.digest);
    if (size === undefined) {
      // A corrupt blob's links were reported (and removed) with it above.
      if (problems.some((p) => p.kind === 'blob-corrupt' && p.subject === link.digest)) continue;
      problem('link-missing-blob', subject, 'the repository links a blob whose file does not exist', () => {
        db.prepare('DELETE FROM blob_links WHERE repository = ? AND digest = ?').run(link.repository, link.digest);
        return 'removed the link; the next push uploads the blob again';
      });
    } else if (size !== link.size) {
      problem('link-size-mismatch', subject, `the link says ${link.size} bytes, the verified file has ${size}`, () => {
        db.prepare('UPDATE blob_links SET size = ? WHERE repository = ? AND digest = ?').run(size, link.repository, link.digest);
        return `set the link's size to ${size}`;
      });
    }
  }
  const hasLink = db.prepare('SELECT 1 FROM blob_links WHERE repository = ? AND digest = ?');

  // 3. Manifests: bytes hash to the digest, they parse, and what they name is there.
  const manifestKeys = new Set<string>();
  const rows = db.prepare('SELECT repository, digest, media_type, content FROM manifests ORDER BY repository, digest').all() as {
    repository: string;
    digest: string;
    media_type: string;
    content: Buffer;
  }[];
  for (const m of rows) manifestKeys.add(`${m.repository}@${m.digest}`);
  for (const m of rows) {
    checked.manifests++;
    const subject = `${m.repository}@${m.digest}`;
    const [algorithm = ''] = m.digest.split(':');
    const actual = isDigestAlgorithm(algorithm) ? `${algorithm}:${createHash(algorithm).update(m.content).digest('hex')}` : '(unknown algorithm)';
    if (actual !== m.digest) {
      problem('manifest-digest-mismatch', subject, `the stored bytes hash to ${actual}`, () => {
        const tags = deleteManifest(db, m.repository, m.digest);
        manifestKeys.delete(subject);
        return `removed the manifest${tags.length ? ` and its tags ${tags.join(', ')}` : ''}; push the image again`;
      });
      continue;
    }
    let parsed: ReturnType<typeof parseManifest>;
    try {
      parsed = parseManifest(m.content, m.media_type);
    } catch (err) {
      problem('manifest-unparsable', subject, (err as Error).message);
      continue;
    }
    for (const blob of parsed.blobs) {
      const present = hasLink.get(m.repository, blob.value) !== undefined && good.has(blob.value);
      if (!present) problem('manifest-missing-blob', subject, `names blob ${blob.value}, which the repository does not hold; push the image again`);
    }
    for (const child of parsed.manifests) {
      if (!manifestKeys.has(`${m.repository}@${child.value}`)) problem('manifest-missing-child', subject, `names manifest ${child.value}, which the repository does not hold`);
    }
  }

  // 4. Pointers: tags and referrer entries name manifests that exist.
  for (const t of db.prepare('SELECT repository, tag, digest FROM tags ORDER BY repository, tag').all() as { repository: string; tag: string; digest: string }[]) {
    checked.tags++;
    if (!manifestKeys.has(`${t.repository}@${t.digest}`)) {
      problem('tag-dangling', `${t.repository}:${t.tag}`, `points at ${t.digest}, which the repository does not hold`, () => {
        db.prepare('DELETE FROM tags WHERE repository = ? AND tag = ? AND digest = ?').run(t.repository, t.tag, t.digest);
        return 'removed the tag';
      });
    }
  }
  for (const r of db.prepare('SELECT repository, subject, digest FROM referrers ORDER BY repository, subject, digest').all() as {
    repository: string;
    subject: string;
    digest: string;
  }[]) {
    checked.referrers++;
    if (!manifestKeys.has(`${r.repository}@${r.digest}`)) {
      problem('referrer-dangling', `${r.repository}@${r.digest}`, `listed as a referrer of ${r.subject} but the repository does not hold it`, () => {
        db.prepare('DELETE FROM referrers WHERE repository = ? AND subject = ? AND digest = ?').run(r.repository, r.subject, r.digest);
        return 'removed the referrer entry';
      });
    }
  }

  for (const dead of extras.deadLetters?.(db) ?? []) problem('event-dead-letter', dead.id, dead.detail);

  const repaired = problems.filter((p) => p.repaired !== undefined).length;
  return { checked, problems, repaired, remaining: problems.length - repaired };
}

/** Deletes a manifest with its tags and referrer entries, in one transaction; returns the tags. */
function deleteManifest(db: Database.Database, repository: string, digest: string): string[] {
  return db.transaction(() => {
    const tags = (db.prepare('SELECT tag FROM tags WHERE repository = ? AND digest = ? ORDER BY tag').all(repository, digest) as { tag: string }[]).map((r) => r.tag);
    db.prepare('DELETE FROM tags WHERE repository = ? AND digest = ?').run(repository, digest);
    db.prepare('DELETE FROM referrers WHERE repository = ? AND digest = ?').run(repository, digest);
    db.prepare('DELETE FROM manifests WHERE repository = ? AND digest = ?').run(repository, digest);
    return tags;
  })();
}

interface BlobFile {
  path: string;
  digest?: string;
  algorithm: string;
}

/**
 * Every file under the blob directory; `digest` is set when the path is the one DataPaths builds
 * for that digest (blobs/<alg>/<hh>/<hex>), so a file anywhere else is a stray.
 */
export async function* blobFiles(paths: DataPaths): AsyncIterable<BlobFile> {
  const walk = async function* (dir: string): AsyncIterable<string> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) yield* walk(full);
      else yield full;
    }
  };
  for await (const path of walk(paths.blobsDir)) {
    const parts = path.slice(paths.blobsDir.length + 1).split('/');
    const [algorithm = '', , hex = ''] = parts;
    const digest = `${algorithm}:${hex}`;
    let valid = false;
    try {
      valid = parts.length === 3 && isDigestAlgorithm(algorithm) && paths.blob(digest) === path;
    } catch {
      valid = false;
    }
    yield valid ? { path, digest, algorithm } : { path, algorithm };
  }
}

async function hashFile(path: string, algorithm: string): Promise<{ actual: string; size: number }> {
  const hash = createHash(algorithm);
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  return { actual: `${algorithm}:${hash.digest('hex')}`, size };
}

/** One line per problem, as `stowage check` prints them. */
export function problemLine(p: ScrubProblem): string {
  return `${p.kind} ${p.subject}: ${p.detail}${p.repaired ? ` [repaired: ${p.repaired}]` : ''}`;
}

/** The closing line of `stowage check`. */
export function summaryLine(r: ScrubReport): string {
  const c = r.checked;
  return `checked ${c.blobs} blobs (${c.bytes} bytes), ${c.links} links, ${c.manifests} manifests, ${c.tags} tags, ${c.referrers} referrers: ${r.problems.length} problem(s), ${r.repaired} repaired, ${r.remaining} remaining`;
}
