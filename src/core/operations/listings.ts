/** Content discovery: tags list, catalog and the referrers API, all paged with `n`/`last`. */
import { parseDigest } from '../digest.js';
import { RegistryError } from '../errors.js';
import type { RegistryContext } from '../context.js';
import { OCI_INDEX } from '../manifest-media.js';
import { jsonResponse, response, type RegistryRequest, type RegistryResponse } from '../messages.js';
import { nextLink, parsePageParams, type PageParams } from '../pagination.js';
import type { Page } from '../../ports/metadata-store.js';
import type { RegistryOperation } from '../operation.js';

export async function listTags(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  const params = parsePageParams(req.query);
  const page = params.n === 0 ? { items: [], more: false } : await ctx.metadata.listTags(name, { limit: params.n, ...(params.last !== undefined && { last: params.last }) });
  // A repository with a tag exists: only an empty page needs the second read that tells an
  // unknown repository (404) from one without tags (or none after `last`).
  if (page.items.length === 0 && !(await ctx.metadata.repositoryExists(name))) {
    throw new RegistryError('NAME_UNKNOWN', `repository ${name} is not known to this registry`, { detail: { name } });
  }
  const link = nextLink(`/v2/${name}/tags/list`, params, page, (t) => t);
  return pageResponse(page.items, name, () => ({ name, tags: page.items }), link);
}

/**
 * JSON bodies of pages a store hands out more than once: a store that caches a page (the SQLite
 * store does, while nothing changes) returns the same frozen array, so its body is serialized
 * once, not on every request. Only frozen arrays are remembered, since nobody can change them
 * after the body was built; `owner` is what else the body says (the tags list's repository).
 * The body stays text: a Lambda shell answers text bodies as they are, bytes only base64-encoded.
 */
const pageBodies = new WeakMap<readonly unknown[], { owner: string; body: string; bytes: number }>();

function pageResponse(items: readonly unknown[], owner: string, value: () => unknown, link: string | undefined): RegistryResponse {
  const kept = pageBodies.get(items);
  let page = kept?.owner === owner ? kept : undefined;
  if (!page) {
    const body = JSON.stringify(value());
    page = { owner, body, bytes: Buffer.byteLength(body) };
    if (Object.isFrozen(items)) pageBodies.set(items, page);
  }
  return response(200, { 'content-type': 'application/json', 'content-length': String(page.bytes), ...(link && { link }) }, page.body);
}

export async function catalog(ctx: RegistryContext, req: RegistryRequest): Promise<RegistryResponse> {
  const params = parsePageParams(req.query);
  const page =
    params.n === 0
      ? { items: [], more: false }
      : req.listable
        ? await pullablePage(ctx, req.listable, params)
        : await ctx.metadata.listRepositories({ limit: params.n, ...(params.last !== undefined && { last: params.last }) });
  const link = nextLink('/v2/_catalog', params, page, (r) => r);
  return pageResponse(page.items, '', () => ({ repositories: page.items }), link);
}

/**
 * A catalog page of only the repositories the caller may pull. Hidden repositories must not
 * shorten the page: store pages are read until `n` visible names are found or the listing
 * ends. The next page starts after the last name shown, so nothing is skipped or repeated.
 */
async function pullablePage(ctx: RegistryContext, listable: (repository: string) => boolean, params: PageParams): Promise<Page<string>> {
  const items: string[] = [];
  let last = params.last;
  for (;;) {
    const page = await ctx.metadata.listRepositories({ limit: params.n, ...(last !== undefined && { last }) });
    for (const [i, name] of page.items.entries()) {
      if (!listable(name)) continue;
      items.push(name);
      if (items.length === params.n) return { items, more: page.more || i < page.items.length - 1 };
    }
    const end = page.items.at(-1);
    if (!page.more || end === undefined) return { items, more: false };
    last = end;
  }
}

/**
 * Referrers of a digest, as an OCI image index. Never 404: an unknown subject has no referrers.
 * Paged in digest order with `n` and `last` (a digest), like the tags list.
 */
export async function listReferrers(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse> {
  const subject = parseDigest(req.params.digest ?? '').value;
  const params = parsePageParams(req.query);
  const artifactType = req.query.get('artifactType') ?? undefined;
  const page =
    params.n === 0
      ? { items: [], more: false }
      : await ctx.metadata.listReferrers(name, subject, {
          limit: params.n,
          ...(params.last !== undefined && { last: params.last }),
          ...(artifactType !== undefined && { artifactType }),
        });
  const headers: Record<string, string> = { 'content-type': OCI_INDEX };
  const extra = new URLSearchParams();
  if (artifactType !== undefined) {
    headers['oci-filters-applied'] = 'artifactType';
    extra.set('artifactType', artifactType);
  }
  const link = nextLink(`/v2/${name}/referrers/${subject}`, params, page, (d) => d.digest, extra);
  if (link) headers.link = link;
  return jsonResponse(200, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: page.items }, headers);
}

// Registrations (../operation.ts): one descriptor per route-table operation of this module.
export const catalogOperation: RegistryOperation = { kind: 'registry', operation: 'catalog', ports: ['metadata'], run: (ctx, _name, req) => catalog(ctx, req) };
export const listTagsOperation: RegistryOperation = { kind: 'registry', operation: 'listTags', ports: ['metadata'], run: listTags };
export const listReferrersOperation: RegistryOperation = { kind: 'registry', operation: 'listReferrers', ports: ['metadata'], run: listReferrers };
