/**
 * Whether any connection committed to a WAL-mode SQLite database since the last look, read from
 * the WAL-index header at the start of the database's `-shm` file with one pread, without a
 * statement. `PRAGMA data_version` answers the same question but opens and closes a read
 * transaction to do so (two fcntl lock calls and the statement machinery): 6% of the server's
 * CPU on a manifest GET by tag, the largest registry-side item (docs/bench/manifest-path.md).
 *
 * The header is documented in https://www.sqlite.org/walformat.html ("The WAL-Index Header"):
 * two copies of a 48-byte header, which a writer updates (second copy, then first) at every
 * commit and at every WAL restart; its `iChange` field is incremented by every transaction, so
 * the 96 bytes never read the same across a commit. Any difference from the bytes last seen,
 * including a read that catches a writer between the two copies, counts as a change: a false
 * change only costs a cache miss. SQLite keeps the -shm file (and its inode) while any
 * connection is open, so the file this opens stays the one every writer updates while the
 * watching connection lives.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const HEADER_BYTES = 96;

export class WalChangeWatch {
  private readonly seen = Buffer.alloc(HEADER_BYTES);
  private readonly now = Buffer.alloc(HEADER_BYTES);
  private fd: number | undefined;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** A watch on `databasePath`'s WAL index; undefined when it has none to read (in memory, not in WAL mode). */
  static open(databasePath: string): WalChangeWatch | undefined {
    if (databasePath === '' || databasePath === ':memory:') return undefined;
    try {
      return new WalChangeWatch(openSync(`${databasePath}-shm`, 'r'));
    } catch {
      return undefined;
    }
  }

  /** Whether the header changed since the last call (true on the first). */
  changed(): boolean {
    if (this.fd === undefined) return true;
    const n = readSync(this.fd, this.now, 0, HEADER_BYTES, 0);
    if (n === HEADER_BYTES && this.now.equals(this.seen)) return false;
    this.now.copy(this.seen);
    // A short read (a header not written yet) leaves `seen` unlike any full header.
    if (n !== HEADER_BYTES) this.seen.fill(0xff);
    return true;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
