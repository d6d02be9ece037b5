/**
 * Stowage's admin routes under `/v2/_stowage/` (the web console and `stowage` commands use the
 * same core functions, src/core/repository-admin.ts):
 *
 *   GET    /v2/_stowage/usage                           bytes per repository the caller may pull
 *   GET    /v2/_stowage/images?repository=NAME[&n&last] ECR DescribeImages-like listing, paged
 *   GET    /v2/_stowage/lifecycle-preview?repository=NAME   ECR's lifecycle policy preview
 *   DELETE /v2/_stowage/repositories?name=NAME          deletes the whole repository (202)
 *
 * The repository comes from the query and is authorized like a path's `{name}` (routes.ts).
 */
import { RegistryError } from '../errors.js';
import type { RegistryContext } from '../context.js';
import { jsonResponse, type RegistryRequest, type RegistryResponse } from '../messages.js';
import { nextLink, parsePageParams } from '../pagination.js';
import { deleteRepository, listImages, previewLifecycle, previewResult, repositoryUsage, usageReport, type RepositoryUsage } from '../repository-admin.js';
import type { RegistryOperation } from '../operation.js';

async function mustExist(ctx: RegistryContext, name: string): Promise<void> {
  if (!(await ctx.metadata.repositoryExists(name))) {
    throw new RegistryError('NAME_UNKNOWN', `repository ${name} is not known to this registry`, { detail: { name } });
  }
}

export async function usage(ctx: RegistryContext, req: RegistryRequest): Promise<RegistryResponse> {
  const usages: RepositoryUsage[] = [];
  for (let last: string | undefined; ; ) {
    const page = await ctx.metadata.listRepositories({ limit: 500, ...(last !== undefined && { last }) });
    for (const name of page.items) if (!req.listable || req.listable(name)) usages.push(await repositoryUsage(ctx, name));
    const end = page.items.at(-1);
    if (!page.more || end === undefined) break;
    last = end;
  }
  return jsonResponse(200, usageReport(usages));
}

export async function images(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  const params = parsePageParams(req.query);
  await mustExist(ctx, name);
  const page = params.n === 0 ? { items: [], more: false } : await listImages(ctx, name, { limit: params.n, ...(params.last !== undefined && { last: params.last }) });
  const link = nextLink('/v2/_stowage/images', params, page, (i) => i.digest, new URLSearchParams({ repository: name }));
  return jsonResponse(200, { repository: name, images: page.items }, link ? { link } : {});
}

export async function lifecyclePreview(ctx: RegistryContext, name: string): Promise<RegistryResponse> {
  await mustExist(ctx, name);
  const { expiries } = await previewLifecycle(ctx, name, new Date());
  return jsonResponse(200, { repository: name, previewResults: expiries.map(previewResult), summary: { expiringImageTotalCount: expiries.length } });
}

export async function removeRepository(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  await mustExist(ctx, name);
  return jsonResponse(202, await deleteRepository(ctx, name, req.actor ?? null));
}

// Registrations (../operation.ts): one descriptor per route-table operation of this module.
export const usageOperation: RegistryOperation = { kind: 'registry', operation: 'usage', ports: ['metadata'], run: (ctx, _name, req) => usage(ctx, req) };
export const listImagesOperation: RegistryOperation = { kind: 'registry', operation: 'listImages', ports: ['metadata'], run: images };
export const lifecyclePreviewOperation: RegistryOperation = {
  kind: 'registry',
  operation: 'lifecyclePreview',
  ports: ['metadata'],
  run: (ctx, name) => lifecyclePreview(ctx, name),
};
export const deleteRepositoryOperation: RegistryOperation = { kind: 'registry', operation: 'deleteRepository', ports: ['metadata', 'events'], run: removeRepository };
