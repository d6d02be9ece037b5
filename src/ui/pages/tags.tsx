/**
 * A repository's tags, one page at a time (the spec's `n`/`last`, the next page from the Link
 * header, so thousands of tags never load at once): for each, what it points to (digest, size,
 * platforms) and when it was pushed (the images route; without it, the image config's `created`).
 */
import { useState } from 'preact/hooks';
import { isIndex, isRouteMissing, platformText, repoScope, type ImageConfig, type Manifest, type RegistryClient } from '../api.js';
import { Scroll, Breadcrumbs, Command, ConfirmDelete, Show, useLoad } from '../components.js';
import { bytes, shortDigest, time } from '../format.js';
import { href } from '../router.js';
import { nextPage } from './repositories.js';

export const TAGS_PER_PAGE = 25;

interface TagRow {
  tag: string;
  manifest?: Manifest;
  size?: number;
  platforms: string[];
  pushed?: string;
  pushedFrom?: 'pushed' | 'created';
  error?: string;
}

interface TagsPage {
  rows: TagRow[];
  next?: string;
  canDelete: boolean;
  pushTimes: 'images' | 'config';
}

/** Runs `f` over `items`, at most `limit` at a time (a page of tags is a burst of requests). */
async function mapLimited<T, R>(items: T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface ImagesBody {
  images: { digest: string; pushedAt?: string; tags?: string[] }[];
}

/** Push times by digest from the images route; undefined when the server has no such route. */
async function pushTimes(api: RegistryClient, name: string): Promise<Map<string, string> | undefined> {
  const out = new Map<string, string>();
  let path: string | undefined = `/v2/_stowage/images?repository=${encodeURIComponent(name)}&n=1000`;
  try {
    for (let i = 0; path && i < 10; i++) {
      const { body, res }: { body: ImagesBody; res: Response } = await api.json<ImagesBody>(path, [repoScope(name, 'pull')]);
      for (const image of body.images ?? []) if (image.pushedAt) out.set(image.digest, image.pushedAt);
      path = nextPage(res);
    }
  } catch (e) {
    if (isRouteMissing(e)) return undefined;
  }
  return out;
}

export function manifestSize(m: Manifest): number {
  const parts = isIndex(m) ? (m.body.manifests ?? []) : [...(m.body.config ? [m.body.config] : []), ...(m.body.layers ?? [])];
  return m.size + parts.reduce((sum, d) => sum + (d.size ?? 0), 0);
}

async function loadTags(api: RegistryClient, name: string, last: string | undefined): Promise<TagsPage> {
  const query = `n=${TAGS_PER_PAGE}${last ? `&last=${encodeURIComponent(last)}` : ''}`;
  const [{ body, res }, canDelete, times] = await Promise.all([
    api.json<{ tags?: string[] | null }>(`/v2/${name}/tags/list?${query}`, [repoScope(name, 'pull')]),
    api.may(repoScope(name), 'delete'),
    pushTimes(api, name),
  ]);
  const next = nextPage(res);
  const rows = await mapLimited(body.tags ?? [], 6, async (tag): Promise<TagRow> => {
    try {
      const m = await api.manifest(name, tag);
      const platforms = isIndex(m) ? (m.body.manifests ?? []).filter((d) => d.platform).map((d) => platformText(d.platform)) : [];
      let pushed = times?.get(m.digest);
      let pushedFrom: TagRow['pushedFrom'] = pushed ? 'pushed' : undefined;
      if (!times && m.body.config && !isIndex(m)) {
        const config = await api.blobJson<ImageConfig>(name, m.body.config.digest);
        if (config?.architecture && config.os) platforms.push(`${config.os}/${config.architecture}${config.variant ? `/${config.variant}` : ''}`);
        if (config?.created) {
          pushed = config.created;
          pushedFrom = 'created';
        }
      }
      return { tag, manifest: m, size: manifestSize(m), platforms, ...(pushed && { pushed, pushedFrom }) };
    } catch (e) {
      return { tag, platforms: [], error: e instanceof Error ? e.message : String(e) };
    }
  });
  return { rows, ...(next && { next }), canDelete, pushTimes: times ? 'images' : 'config' };
}

function lastOf(next: string): string | undefined {
  return new URLSearchParams(next.slice(next.indexOf('?') + 1)).get('last') ?? undefined;
}

export function TagsPage({ api, name, last, signedIn }: { api: RegistryClient; name: string; last?: string; signedIn: boolean }) {
  const [loaded, reload] = useLoad(() => loadTags(api, name, last), [name, last, signedIn]);
  const [deleting, setDeleting] = useState<TagRow>();
  return (
    <section>
      <Breadcrumbs>
        <a href={href.repositories()}>Repositories</a> / <span aria-current="page">{name}</span>
      </Breadcrumbs>
      <h1>{name}</h1>
      <p class="links">
        <a href={href.lifecycle(name)}>Lifecycle preview</a>
      </p>
      <Show loaded={loaded} what="tags">
        {(page) => (
          <>
            {page.rows.length === 0 ? (
              <p class="muted">{last ? 'No more tags.' : 'No tags in this repository.'}</p>
            ) : (
              <Scroll label="Tags">
                <table>
                  <caption class="sr-only">Tags of {name}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Tag</th>
                      <th scope="col">Digest</th>
                      <th scope="col" class="num">
                        Size
                      </th>
                      <th scope="col">Platforms</th>
                      <th scope="col">{page.pushTimes === 'images' ? 'Pushed' : 'Created'}</th>
                      {page.canDelete && (
                        <th scope="col">
                          <span class="sr-only">Actions</span>
                        </th>
                      )}
                    </tr>
                  </thead>
                  <tbody>
                    {page.rows.map((row) => (
                      <tr key={row.tag}>
                        <td>
                          <a href={href.manifest(name, row.tag)}>{row.tag}</a>
                        </td>
                        <td>{row.manifest ? <code title={row.manifest.digest}>{shortDigest(row.manifest.digest)}</code> : <span class="problem">{row.error}</span>}</td>
                        <td class="num">{bytes(row.size)}</td>
                        <td>{row.platforms.length ? row.platforms.join(', ') : '—'}</td>
                        <td>{time(row.pushed)}</td>
                        {page.canDelete && (
                          <td>
                            <button type="button" class="small danger" onClick={() => setDeleting(row)} aria-label={`Delete tag ${row.tag}`}>
                              Delete
                            </button>
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Scroll>
            )}
            {page.pushTimes === 'config' && page.rows.length > 0 && <p class="muted">Push times: not available on this server; the image's creation time is shown.</p>}
            <nav class="pager" aria-label="Tag pages">
              {last && <a href={href.tags(name)}>First page</a>}
              {page.next && <a href={href.tags(name, lastOf(page.next))}>Next page</a>}
            </nav>
            <h2>Pull</h2>
            <Command label="docker pull" command={`docker pull ${location.host}/${name}:${page.rows[0]?.tag ?? 'TAG'}`} />
          </>
        )}
      </Show>
      {deleting && (
        <ConfirmDelete
          title={`Delete tag ${deleting.tag}?`}
          confirmLabel={`Delete tag ${deleting.tag}`}
          consequences={
            <p>
              The tag <strong>{`${name}:${deleting.tag}`}</strong> goes. The manifest it points to
              {deleting.manifest ? (
                <>
                  {' '}
                  (<code>{shortDigest(deleting.manifest.digest)}</code>)
                </>
              ) : null}{' '}
              stays, reachable by digest and by any other tag.
            </p>
          }
          onConfirm={async () => {
            await api.call(`/v2/${name}/manifests/${deleting.tag}`, [repoScope(name)], { method: 'DELETE' });
            setDeleting(undefined);
            reload();
          }}
          onClose={() => setDeleting(undefined)}
        />
      )}
    </section>
  );
}
