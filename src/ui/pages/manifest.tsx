/**
 * One manifest or index, by tag or digest: an index's platforms; an image's layers (size, media
 * type) and config (created, platform, env, labels, history); annotations; the referrers as a
 * tree (signatures, SBOMs, attestations, by artifactType); pull commands; the raw JSON; and,
 * for a user holding delete, deleting the manifest with every tag on it.
 */
import { useState } from 'preact/hooks';
import { isIndex, platformText, repoScope, type Descriptor, type ImageConfig, type Manifest, type RegistryClient } from '../api.js';
import { Scroll, Breadcrumbs, Command, ConfirmDelete, Show, useLoad } from '../components.js';
import { bytes, shortDigest, shortType, time } from '../format.js';
import { href, navigate } from '../router.js';

const REFERRER_DEPTH = 3;

interface Loaded {
  manifest: Manifest;
  config?: ImageConfig;
  canDelete: boolean;
}

async function load(api: RegistryClient, name: string, reference: string): Promise<Loaded> {
  const [manifest, canDelete] = await Promise.all([api.manifest(name, reference), api.may(repoScope(name), 'delete')]);
  const config = !isIndex(manifest) && manifest.body.config ? await api.blobJson<ImageConfig>(name, manifest.body.config.digest) : undefined;
  return { manifest, canDelete, ...(config && { config }) };
}

function Annotations({ annotations, title = 'Annotations' }: { annotations: Record<string, string> | undefined; title?: string }) {
  const entries = Object.entries(annotations ?? {});
  if (entries.length === 0) return null;
  return (
    <>
      <h2>{title}</h2>
      <dl class="pairs">
        {entries.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}

function Platforms({ name, manifests }: { name: string; manifests: Descriptor[] }) {
  return (
    <>
      <h2>Platforms</h2>
      <Scroll label="Platforms">
        <table>
          <thead>
            <tr>
              <th scope="col">Platform</th>
              <th scope="col">Digest</th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col">Media type</th>
            </tr>
          </thead>
          <tbody>
            {manifests.map((d) => (
              <tr key={d.digest}>
                <td>{d.platform ? platformText(d.platform) : d.artifactType ? `artifact ${d.artifactType}` : '—'}</td>
                <td>
                  <a href={href.manifest(name, d.digest)} title={d.digest}>
                    {shortDigest(d.digest)}
                  </a>
                </td>
                <td class="num">{bytes(d.size)}</td>
                <td>{shortType(d.mediaType)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </>
  );
}

function Layers({ layers }: { layers: Descriptor[] }) {
  const total = layers.reduce((s, l) => s + l.size, 0);
  return (
    <>
      <h2>
        Layers{' '}
        <span class="muted">
          ({layers.length}, {bytes(total)})
        </span>
      </h2>
      <Scroll label="Layers">
        <table>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Digest</th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col">Media type</th>
            </tr>
          </thead>
          <tbody>
            {layers.map((l, i) => (
              <tr key={`${i}-${l.digest}`}>
                <td>{i + 1}</td>
                <td>
                  <code title={l.digest}>{shortDigest(l.digest)}</code>
                </td>
                <td class="num">{bytes(l.size)}</td>
                <td>{shortType(l.mediaType)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </>
  );
}

function Config({ config }: { config: ImageConfig }) {
  const env = config.config?.Env ?? [];
  const history = config.history ?? [];
  return (
    <>
      <h2>Config</h2>
      <dl class="pairs">
        <div>
          <dt>Created</dt>
          <dd>{time(config.created)}</dd>
        </div>
        <div>
          <dt>Platform</dt>
          <dd>{config.os && config.architecture ? `${config.os}/${config.architecture}${config.variant ? `/${config.variant}` : ''}` : '—'}</dd>
        </div>
        {config.config?.Entrypoint && (
          <div>
            <dt>Entrypoint</dt>
            <dd>
              <code>{config.config.Entrypoint.join(' ')}</code>
            </dd>
          </div>
        )}
        {config.config?.Cmd && (
          <div>
            <dt>Command</dt>
            <dd>
              <code>{config.config.Cmd.join(' ')}</code>
            </dd>
          </div>
        )}
      </dl>
      {env.length > 0 && (
        <>
          <h3>Environment</h3>
          <ul class="plain">
            {env.map((e) => (
              <li key={e}>
                <code>{e}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      <Annotations annotations={config.config?.Labels} title="Labels" />
      {history.length > 0 && (
        <>
          <h3>History</h3>
          <ol class="history">
            {history.map((h, i) => (
              <li key={i}>
                <span class="muted">{time(h.created)}</span> <code>{h.created_by ?? h.comment ?? ''}</code>
                {h.empty_layer && <span class="muted"> (no layer)</span>}
              </li>
            ))}
          </ol>
        </>
      )}
    </>
  );
}

interface ReferrersIndex {
  manifests?: Descriptor[];
}

/** What a referrer is, in words, from its artifactType. */
function kindOf(artifactType: string | undefined): string {
  const t = artifactType ?? '';
  if (/signature|cosign|notation/i.test(t)) return 'signature';
  if (/spdx|cyclonedx|sbom|syft/i.test(t)) return 'SBOM';
  if (/in-toto|attestation|provenance|slsa|vex/i.test(t)) return 'attestation';
  return 'artifact';
}

function Referrers({ api, name, digest, depth }: { api: RegistryClient; name: string; digest: string; depth: number }) {
  const [loaded] = useLoad(() => api.json<ReferrersIndex>(`/v2/${name}/referrers/${digest}`, [repoScope(name, 'pull')]).then((r) => r.body.manifests ?? []), [name, digest]);
  return (
    <Show loaded={loaded} what="referrers">
      {(referrers) =>
        referrers.length === 0 ? (
          depth === 0 ? (
            <p class="muted">No signatures, SBOMs or other artifacts refer to this manifest.</p>
          ) : null
        ) : (
          <ul class={depth === 0 ? 'tree' : undefined}>
            {referrers.map((r) => (
              <li key={r.digest}>
                <span class={`badge ${kindOf(r.artifactType).toLowerCase()}`}>{kindOf(r.artifactType)}</span> <a href={href.manifest(name, r.digest)}>{shortDigest(r.digest)}</a>{' '}
                <span class="type">{r.artifactType ?? shortType(r.mediaType)}</span> <span class="muted">{bytes(r.size)}</span>
                {r.annotations?.['org.opencontainers.image.created'] && <span class="muted"> {time(r.annotations['org.opencontainers.image.created'])}</span>}
                {depth + 1 < REFERRER_DEPTH && <Referrers api={api} name={name} digest={r.digest} depth={depth + 1} />}
              </li>
            ))}
          </ul>
        )
      }
    </Show>
  );
}

export function ManifestPage({ api, name, reference, signedIn }: { api: RegistryClient; name: string; reference: string; signedIn: boolean }) {
  const [loaded] = useLoad(() => load(api, name, reference), [name, reference, signedIn]);
  const [deleting, setDeleting] = useState(false);
  const byTag = !reference.includes(':');
  return (
    <section>
      <Breadcrumbs>
        <a href={href.repositories()}>Repositories</a> / <a href={href.tags(name)}>{name}</a> / <span aria-current="page">{byTag ? reference : shortDigest(reference)}</span>
      </Breadcrumbs>
      <h1>
        {name}
        {byTag ? `:${reference}` : `@${shortDigest(reference)}`}
      </h1>
      <Show loaded={loaded} what="the manifest">
        {({ manifest: m, config, canDelete }) => {
          const ref = `${location.host}/${name}`;
          return (
            <>
              <dl class="pairs">
                <div>
                  <dt>Digest</dt>
                  <dd>
                    <code class="digest">{m.digest}</code>
                  </dd>
                </div>
                <div>
                  <dt>Media type</dt>
                  <dd>{m.mediaType}</dd>
                </div>
                {m.body.artifactType && (
                  <div>
                    <dt>Artifact type</dt>
                    <dd>{m.body.artifactType}</dd>
                  </div>
                )}
                <div>
                  <dt>Manifest size</dt>
                  <dd>{bytes(m.size)}</dd>
                </div>
                {m.body.subject && (
                  <div>
                    <dt>Refers to</dt>
                    <dd>
                      <a href={href.manifest(name, m.body.subject.digest)}>{shortDigest(m.body.subject.digest)}</a>
                    </dd>
                  </div>
                )}
              </dl>
              <h2>Commands</h2>
              <Command label="docker pull" command={`docker pull ${ref}${byTag ? `:${reference}` : `@${m.digest}`}`} />
              <Command label="oras pull" command={`oras pull ${ref}@${m.digest}`} />
              <Command label="oras discover" command={`oras discover ${ref}@${m.digest}`} />
              {isIndex(m) ? <Platforms name={name} manifests={m.body.manifests ?? []} /> : <Layers layers={m.body.layers ?? []} />}
              {config && <Config config={config} />}
              {!isIndex(m) && m.body.config && !config && <p class="muted">The image config could not be read.</p>}
              <Annotations annotations={m.body.annotations} />
              <h2>Referrers</h2>
              <Referrers api={api} name={name} digest={m.digest} depth={0} />
              <details class="raw">
                <summary>Raw JSON</summary>
                {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling box must take focus, so keyboard users can scroll it (WCAG 2.1.1; axe scrollable-region-focusable) */}
                <pre tabIndex={0}>{JSON.stringify(m.body, null, 2)}</pre>
              </details>
              {canDelete && (
                <>
                  <h2>Delete</h2>
                  <button type="button" class="danger" onClick={() => setDeleting(true)}>
                    Delete manifest {shortDigest(m.digest)}
                  </button>
                </>
              )}
              {deleting && (
                <ConfirmDelete
                  title={`Delete manifest ${shortDigest(m.digest)}?`}
                  confirmLabel="Delete manifest"
                  consequences={
                    <p>
                      The manifest <code class="digest">{`${name}@${m.digest}`}</code> goes, with every tag that points to it{byTag ? ` (${reference} among them)` : ''}.
                      {isIndex(m) ? ' The platform manifests it lists stay.' : ''} Pulls by these tags or this digest will fail.
                    </p>
                  }
                  onConfirm={async () => {
                    await api.call(`/v2/${name}/manifests/${m.digest}`, [repoScope(name)], { method: 'DELETE' });
                    navigate(href.tags(name));
                  }}
                  onClose={() => setDeleting(false)}
                />
              )}
            </>
          );
        }}
      </Show>
    </section>
  );
}
