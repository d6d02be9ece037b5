/**
 * What the repository's lifecycle policy would expire now (the lifecycle issue's preview route,
 * ECR's GetLifecyclePolicyPreview shape). A server without the route says so; nothing is deleted
 * from this page.
 */
import { ApiError, isRouteMissing, repoScope, type RegistryClient } from '../api.js';
import { Scroll, Breadcrumbs, Problem, Show, useLoad } from '../components.js';
import { shortDigest, time } from '../format.js';
import { href } from '../router.js';

interface Preview {
  previewResults: { imageDigest: string; imageTags?: string[]; imagePushedAt?: string; action?: { type: string }; appliedRulePriority?: number }[];
  summary?: { expiringImageTotalCount?: number };
}

type Outcome = { kind: 'preview'; preview: Preview } | { kind: 'unavailable' } | { kind: 'unknown' };

async function load(api: RegistryClient, name: string): Promise<Outcome> {
  try {
    const { body } = await api.json<Preview>(`/v2/_stowage/lifecycle-preview?repository=${encodeURIComponent(name)}`, [repoScope(name, 'pull')]);
    return { kind: 'preview', preview: body };
  } catch (e) {
    if (!isRouteMissing(e)) throw e;
    // A 404 is either no such repository or no such route: the tags list tells which.
    try {
      await api.call(`/v2/${name}/tags/list?n=1`, [repoScope(name, 'pull')]);
      return { kind: 'unavailable' };
    } catch (inner) {
      if (inner instanceof ApiError && inner.code === 'NAME_UNKNOWN') return { kind: 'unknown' };
      throw inner;
    }
  }
}

export function LifecyclePage({ api, name, signedIn }: { api: RegistryClient; name: string; signedIn: boolean }) {
  const [loaded] = useLoad(() => load(api, name), [name, signedIn]);
  return (
    <section>
      <Breadcrumbs>
        <a href={href.repositories()}>Repositories</a> / <a href={href.tags(name)}>{name}</a> / <span aria-current="page">Lifecycle</span>
      </Breadcrumbs>
      <h1>Lifecycle preview of {name}</h1>
      <Show loaded={loaded} what="the lifecycle preview">
        {(o) => {
          if (o.kind === 'unavailable') return <p class="notice">Lifecycle preview: not available on this server.</p>;
          if (o.kind === 'unknown') return <Problem error={new Error(`There is no repository ${name}.`)} />;
          const results = o.preview.previewResults ?? [];
          if (results.length === 0) return <p class="muted">Nothing would expire: no lifecycle rule matches an image of this repository (or it has no policy).</p>;
          return (
            <>
              <p role="status">{o.preview.summary?.expiringImageTotalCount ?? results.length} image(s) would expire.</p>
              <Scroll label="Expiring images">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Digest</th>
                      <th scope="col">Tags</th>
                      <th scope="col">Pushed</th>
                      <th scope="col">Action</th>
                      <th scope="col" class="num">
                        Rule
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {results.map((r) => (
                      <tr key={r.imageDigest}>
                        <td>
                          <a href={href.manifest(name, r.imageDigest)} title={r.imageDigest}>
                            {shortDigest(r.imageDigest)}
                          </a>
                        </td>
                        <td>{(r.imageTags ?? []).join(', ') || '—'}</td>
                        <td>{time(r.imagePushedAt)}</td>
                        <td>{r.action?.type ?? '—'}</td>
                        <td class="num">{r.appliedRulePriority ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Scroll>
            </>
          );
        }}
      </Show>
    </section>
  );
}
