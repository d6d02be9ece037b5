// What this machine can do at most for the blob rows, measured in the same bench run: how fast
// its disk takes a blob durably (write + fsync, as a registry commits one) and how fast node hashes
// SHA-256 natively. A durable upload cannot finish faster than the disk takes its bytes, and a
// verified one not faster than they hash; the null registry (bench/null-registry.ts) gives the
// third limit, what the bench's HTTP client and loopback carry. docs/bench/blob-limits.md reads
// the three together.
import { createHash, randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { median } from './report.js';
import { timed } from './timed.js';

const MiB = 1024 * 1024;

export interface MachineLimits {
  /** Bytes per sample. */
  bytes: number;
  /** Median MiB/s of writing `bytes` to a new file in the bench's work dir and fsyncing it. */
  diskWriteFsyncMiBs: number;
  /** Median MiB/s of node's SHA-256 (OpenSSL, native) over `bytes` already in memory. */
  sha256MiBs: number;
  samples: { diskWriteFsyncMiBs: number[]; sha256MiBs: number[] };
}

/** Writes `data` to `file` in 1 MiB writes (as a registry streams a body in) and fsyncs it. */
async function writeDurably(file: string, data: Buffer): Promise<void> {
  const fh = await open(file, 'w');
  try {
    for (let at = 0; at < data.length; at += MiB) await fh.write(data, at, Math.min(MiB, data.length - at));
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function measureMachineLimits(dir: string, bytes: number, reps = 3): Promise<MachineLimits> {
  const data = randomBytes(bytes);
  const disk: number[] = [];
  const hash: number[] = [];
  for (let i = 0; i < reps; i++) {
    const file = join(dir, `disk-probe-${i}`);
    disk.push(bytes / MiB / (await timed(() => writeDurably(file, data))));
    await rm(file, { force: true });
    hash.push(bytes / MiB / (await timed(() => createHash('sha256').update(data).digest())));
  }
  return { bytes, diskWriteFsyncMiBs: median(disk), sha256MiBs: median(hash), samples: { diskWriteFsyncMiBs: disk, sha256MiBs: hash } };
}

export function formatMachineLimits(m: MachineLimits): string {
  return `machine limits (${m.bytes / MiB} MiB, median of ${m.samples.sha256MiBs.length}): disk write + fsync ${m.diskWriteFsyncMiBs.toFixed(0)} MiB/s, node SHA-256 ${m.sha256MiBs.toFixed(0)} MiB/s`;
}
