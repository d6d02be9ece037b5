/**
 * Linking committed content to a repository, safely beside the garbage collector.
 *
 * The collector hides content before it asks whether anything links it (BlobStore.reclaim), so
 * a writer that links first and then finds the content still there knows the collector will see
 * its link (src/core/gc/collector.ts, "Why a push never loses a blob"). When the content is
 * gone, the link just written is taken back: no reader is told a blob exists that storage lacks.
 */
import type { RegistryContext } from './context.js';

/** Links `digest` to `name`; false (and no link) when the collector removed the content meanwhile. */
export async function linkStored(ctx: RegistryContext, name: string, digest: string, size: number): Promise<boolean> {
  await ctx.metadata.linkBlob(name, digest, size);
  if (await ctx.blobs.stat(digest)) return true;
  await ctx.metadata.unlinkBlob(name, digest);
  return false;
}
