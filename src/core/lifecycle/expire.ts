/**
 * Lifecycle expiry: every repository with a lifecycle policy, its expiring images removed through
 * the core's one removal path (tags and referrer entries go with them) and announced with EXPIRE
 * events, as ECR's lifecycle actions are. The garbage collector calls this at the start of each
 * sweep; the bytes the removed manifests referenced are then the collector's to free.
 */
import { DEFAULT_LIMITS, RegistryContext, type RegistryPorts } from '../context.js';
import { removeManifest } from '../manifest-removal.js';
import type { RepositorySettings } from '../repository-settings.js';
import { lifecycleImages } from '../repository-admin.js';
import { evaluateLifecycle } from './evaluate.js';

export interface ExpiredImage {
  repository: string;
  digest: string;
  tags: string[];
  rulePriority: number;
}

export interface LifecycleExpiryResult {
  /** Repositories whose policy was evaluated. */
  repositoriesEvaluated: number;
  /** Manifests removed (dry run: that would be removed). */
  manifestsExpired: number;
  /** Tags removed with them. */
  tagsExpired: number;
  expired: ExpiredImage[];
}

/** The event actor of lifecycle expiries (ECR's lifecycle actions are the service's own). */
export const LIFECYCLE_ACTOR = 'stowage-lifecycle';

export async function expireByLifecycle(
  deps: Pick<RegistryPorts, 'metadata' | 'events'>,
  settings: RepositorySettings,
  now: Date,
  options: { dryRun?: boolean } = {},
): Promise<LifecycleExpiryResult> {
  const ctx = new RegistryContext(deps, { ...DEFAULT_LIMITS, repositories: settings });
  const result: LifecycleExpiryResult = { repositoriesEvaluated: 0, manifestsExpired: 0, tagsExpired: 0, expired: [] };
  if (!settings.entries.some((e) => e.lifecyclePolicy)) return result;
  for (let last: string | undefined; ; ) {
    const page = await ctx.metadata.listRepositories({ limit: 500, ...(last !== undefined && { last }) });
    for (const name of page.items) {
      const policy = settings.for(name).lifecyclePolicy;
      if (!policy) continue;
      result.repositoriesEvaluated++;
      for (const e of evaluateLifecycle(policy, await lifecycleImages(ctx, name), now)) {
        const tags = [...e.image.tags];
        if (!options.dryRun) {
          const removed = await removeManifest(ctx, name, e.image.digest, LIFECYCLE_ACTOR, 'EXPIRE');
          if (!removed) continue; // removed by someone else meanwhile
          await ctx.emit(removed.events);
          tags.splice(0, tags.length, ...removed.tags);
        }
        result.manifestsExpired++;
        result.tagsExpired += tags.length;
        result.expired.push({ repository: name, digest: e.image.digest, tags, rulePriority: e.rulePriority });
      }
    }
    const end = page.items.at(-1);
    if (!page.more || end === undefined) return result;
    last = end;
  }
}

/**
 * The collector's expiry phase (`beforeMark` of src/core/gc/collector.ts): every sweep first
 * expires what the lifecycle policies select, so the same sweep frees their blobs.
 */
export function lifecyclePhase(
  deps: Pick<RegistryPorts, 'metadata' | 'events'>,
  settings: RepositorySettings,
): (sweep: { dryRun: boolean; now: Date }) => Promise<{ manifestsDeleted: number }> {
  return async ({ dryRun, now }) => ({ manifestsDeleted: (await expireByLifecycle(deps, settings, now, { dryRun })).manifestsExpired });
}
