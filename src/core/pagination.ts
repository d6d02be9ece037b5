/**
 * The spec's `n` / `last` pagination for tags, catalog and referrers. Order is byte order of
 * the listed key (tags and repository names; digests for referrers). `last` is exclusive.
 * Without `n` a listing returns up to MAX_PAGE items; an `n` above it is clamped, and a Link
 * header then says where the next page starts, so a short page always comes with a Link unless
 * it is the end.
 */
import { RegistryError } from './errors.js';
import type { Page } from '../ports/metadata-store.js';

export const MAX_PAGE = 1000;

export interface PageParams {
  n: number;
  last?: string;
}

export function parsePageParams(query: URLSearchParams): PageParams {
  const rawN = query.get('n');
  let n = MAX_PAGE;
  if (rawN !== null) {
    if (!/^\d{1,9}$/.test(rawN)) {
      // The spec's error codes have none for paging; UNSUPPORTED with a 400 says what to fix.
      throw new RegistryError('BAD_REQUEST', `invalid n "${rawN.slice(0, 20)}": use a non-negative integer`, { detail: { n: rawN.slice(0, 20) } });
    }
    n = Math.min(Number(rawN), MAX_PAGE);
  }
  const last = query.get('last') ?? undefined;
  return last === undefined || last === '' ? { n } : { n, last };
}

/** `<path?n=..&last=..>; rel="next"`, or undefined when this page is the last. */
export function nextLink<T>(path: string, params: PageParams, page: Page<T>, keyOf: (item: T) => string, extra?: URLSearchParams): string | undefined {
  const lastItem = page.items.at(-1);
  if (!page.more || lastItem === undefined) return undefined;
  const q = new URLSearchParams(extra);
  q.set('n', String(params.n));
  q.set('last', keyOf(lastItem));
  return `<${path}?${q.toString()}>; rel="next"`;
}
