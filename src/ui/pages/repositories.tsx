/**
 * The repositories the user may see: the catalog (every page of it, followed through its Link
 * header), with tag and manifest counts and storage from the usage route when the server has it.
 */
import { useState } from 'preact/hooks';
import { ApiError, catalogScope, isRouteMissing, type RegistryClient } from '../api.js';
import { Scroll, Show, useLoad } from '../components.js';
import { bytes } from '../format.js';
import { href, navigate } from '../router.js';

interface Usage {
  repositories: { name: string; bytes: number; manifests: number; tags: number }[];
  totalBytes: number;
}

interface Listing {
  names: string[];
  /** Why the catalog could not be read (the user may not list), or undefined. */
  refused?: string;
  usage: Usage | 'unavailable' | undefined;
}

/** The next page's path from a Link header (`</v2/_catalog?n=..&last=..>; rel="next"`). */
export function nextPage(res: Response): string | undefined {
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.headers.get('link') ?? '');
  return m?.[1];
}

const MAX_PAGES = 50;

async function loadListing(api: RegistryClient): Promise<Listing> {
  const names: string[] = [];
  let refused: string | undefined;
  try {
    let path: string | undefined = '/v2/_catalog?n=1000';
    for (let i = 0; path && i < MAX_PAGES; i++) {
      const { body, res }: { body: { repositories?: string[] }; res: Response } = await api.json<{ repositories?: string[] }>(path, [catalogScope]);
      names.push(...(body.repositories ?? []));
      path = nextPage(res);
    }
  } catch (e) {
    if (!(e instanceof ApiError) || (e.status !== 401 && e.status !== 403)) throw e;
    refused = e.message;
  }
  let usage: Listing['usage'];
  if (!refused) {
    usage = await api.json<Usage>('/v2/_stowage/usage', [catalogScope]).then(
      (r) => r.body,
      (e: unknown) => (isRouteMissing(e) ? 'unavailable' : undefined),
    );
  }
  return { names, usage, ...(refused !== undefined && { refused }) };
}

export function RepositoriesPage({ api, signedIn }: { api: RegistryClient; signedIn: boolean }) {
  const [loaded] = useLoad(() => loadListing(api), [signedIn]);
  const [filter, setFilter] = useState('');
  const [open, setOpen] = useState('');
  return (
    <section>
      <h1>Repositories</h1>
      <form
        class="open-by-name"
        onSubmit={(e) => {
          e.preventDefault();
          if (open.trim()) navigate(href.tags(open.trim()));
        }}
      >
        <label for="open-name">Open a repository by name</label>
        <div class="row">
          <input id="open-name" value={open} onInput={(e) => setOpen(e.currentTarget.value)} placeholder="team/app" autocomplete="off" spellcheck={false} />
          <button type="submit">Open</button>
        </div>
      </form>
      <Show loaded={loaded} what="repositories">
        {(l) => {
          if (l.refused !== undefined)
            return (
              <p class="notice" role="status">
                You may not list the repositories here{signedIn ? '' : ' without signing in'}; open one you know by name.
              </p>
            );
          const usage = typeof l.usage === 'object' ? new Map(l.usage.repositories.map((r) => [r.name, r])) : undefined;
          const shown = l.names.filter((n) => n.includes(filter.trim().toLowerCase()));
          return (
            <>
              <div class="toolbar">
                <label for="filter">Filter</label>
                <input id="filter" type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} placeholder="name contains…" />
              </div>
              <p class="summary" role="status">
                {l.names.length} {l.names.length === 1 ? 'repository' : 'repositories'}
                {filter && `, ${shown.length} shown`}
                {typeof l.usage === 'object' && `, ${bytes(l.usage.totalBytes)} stored`}
              </p>
              {l.usage === 'unavailable' && <p class="muted">Storage used and counts: not available on this server.</p>}
              {l.names.length === 0 ? (
                <p class="muted">No repositories yet. Push one: docker push {location.host}/team/app:1.0</p>
              ) : (
                <Scroll label="Repositories">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Name</th>
                        <th scope="col" class="num">
                          Tags
                        </th>
                        <th scope="col" class="num">
                          Manifests
                        </th>
                        <th scope="col" class="num">
                          Storage
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {shown.map((name) => {
                        const u = usage?.get(name);
                        return (
                          <tr key={name}>
                            <td>
                              <a href={href.tags(name)}>{name}</a>
                            </td>
                            <td class="num">{u ? u.tags : '—'}</td>
                            <td class="num">{u ? u.manifests : '—'}</td>
                            <td class="num">{u ? bytes(u.bytes) : '—'}</td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </Scroll>
              )}
            </>
          );
        }}
      </Show>
    </section>
  );
}
