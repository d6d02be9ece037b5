/**
 * The one way the core removes a manifest by digest: the store deletes it with every tag naming
 * it and its referrer entry, and the events of the removal are built here, so a client's DELETE,
 * a repository delete and a lifecycle expiry all remove the same things and say so the same way:
 * one event per tag that named it, then one for the manifest itself (docs/events.md).
 */
import type { RegistryContext } from './context.js';
import { makeEvent } from './events.js';
import type { RegistryEvent } from '../ports/event-sink.js';

export interface RemovedManifest {
  tags: string[];
  /** The events to emit (not emitted yet: the caller emits them with its other events). */
  events: RegistryEvent[];
}

/** Removes a manifest; null when the repository does not hold it (or another request removed it first). */
export async function removeManifest(ctx: RegistryContext, name: string, digest: string, actor: string | null, action: 'DELETE' | 'EXPIRE'): Promise<RemovedManifest | null> {
  const record = await ctx.metadata.getManifest(name, digest);
  if (!record) return null;
  const removed = await ctx.metadata.deleteManifest(name, digest);
  if (!removed) return null;
  const fields = { action, repository: name, digest, mediaType: record.mediaType, artifactType: record.artifactType, size: record.content.byteLength, actor };
  return { tags: removed.tags, events: [...removed.tags.map((tag) => makeEvent({ ...fields, tag })), makeEvent({ ...fields, tag: null })] };
}
