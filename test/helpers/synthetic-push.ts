/**
 * Pushes synthetic images over the registry's HTTP API, without docker or umoci: blobs in one
 * monolithic upload (POST, then PUT ?digest=), manifests by tag or digest, with the docker token
 * flow when the registry asks for it. For tests that need content of a known shape (an index of
 * two platforms, referrers with an artifactType) rather than a real client's push.
 */
import { createHash, randomBytes } from 'node:crypto';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  artifactType?: string;
  annotations?: Record<string, string>;
}

export const digestOf = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A client for one registry: `user`/`password` for the token flow (none: anonymous or no auth). */
export class SyntheticPusher {
  private tokens = new Map<string, string>();

  constructor(
    readonly base: string,
    private readonly credentials?: { user: string; password: string },
  ) {}

  /** A registry call, answering a Bearer challenge once with a token for the challenge's scope. */
  async call(method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer | string } = {}, scope?: string): Promise<Response> {
    const send = (token?: string) =>
      fetch(new URL(path, this.base), {
        method,
        headers: { ...init.headers, ...(token && { authorization: `Bearer ${token}` }) },
        ...(init.body !== undefined && { body: typeof init.body === 'string' ? init.body : new Uint8Array(init.body) }),
        redirect: 'manual',
      });
    const cached = scope ? this.tokens.get(scope) : undefined;
    let res = await send(cached);
    const challenge = res.headers.get('www-authenticate');
    if (res.status === 401 && challenge?.startsWith('Bearer ')) {
      const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
      const url = new URL(params.realm!);
      url.searchParams.set('service', params.service ?? '');
      const wanted = scope ?? params.scope;
      if (wanted) url.searchParams.set('scope', wanted);
      const headers: Record<string, string> = this.credentials
        ? { authorization: `Basic ${Buffer.from(`${this.credentials.user}:${this.credentials.password}`).toString('base64')}` }
        : {};
      const tokenRes = await fetch(url, { headers });
      if (!tokenRes.ok) throw new Error(`token for ${wanted}: ${tokenRes.status} ${await tokenRes.text()}`);
      const token = ((await tokenRes.json()) as { token: string }).token;
      if (wanted) this.tokens.set(wanted, token);
      res = await send(token);
    }
    return res;
  }

  private async ok(res: Response, what: string): Promise<Response> {
    if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`);
    return res;
  }

  async pushBlob(repo: string, bytes: Buffer | string, mediaType: string): Promise<Descriptor> {
    const scope = `repository:${repo}:pull,push`;
    const digest = digestOf(bytes);
    const started = await this.ok(await this.call('POST', `/v2/${repo}/blobs/uploads/`, {}, scope), `POST upload to ${repo}`);
    const location = new URL(started.headers.get('location')!, this.base);
    location.searchParams.set('digest', digest);
    await this.ok(
      await this.call('PUT', location.pathname + location.search, { headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(bytes) }, scope),
      `PUT blob to ${repo}`,
    );
    return { mediaType, digest, size: Buffer.byteLength(bytes) };
  }

  async pushManifest(repo: string, reference: string | undefined, manifest: object): Promise<Descriptor> {
    const body = JSON.stringify(manifest);
    const mediaType = (manifest as { mediaType: string }).mediaType;
    const digest = digestOf(body);
    const res = await this.call('PUT', `/v2/${repo}/manifests/${reference ?? digest}`, { headers: { 'content-type': mediaType }, body }, `repository:${repo}:pull,push`);
    await this.ok(res, `PUT manifest ${repo}:${reference ?? digest}`);
    return { mediaType, digest, size: Buffer.byteLength(body) };
  }

  /** An image: a config of this platform (created, env, labels, history) and `layers` random layers. */
  async pushImage(
    repo: string,
    tag: string | undefined,
    opts: { architecture?: string; os?: string; layers?: number[]; created?: string; labels?: Record<string, string>; env?: string[] } = {},
  ): Promise<Descriptor & { layers: Descriptor[]; config: Descriptor }> {
    const layers: Descriptor[] = [];
    for (const size of opts.layers ?? [2048, 4096]) layers.push(await this.pushBlob(repo, randomBytes(size), OCI_LAYER));
    const architecture = opts.architecture ?? 'amd64';
    const os = opts.os ?? 'linux';
    const config = await this.pushBlob(
      repo,
      JSON.stringify({
        created: opts.created ?? '2026-01-02T03:04:05Z',
        architecture,
        os,
        config: { Env: opts.env ?? ['PATH=/usr/local/bin:/usr/bin:/bin'], Labels: opts.labels ?? {}, Cmd: ['/bin/app'] },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
        history: layers.map((_, i) => ({ created: opts.created ?? '2026-01-02T03:04:05Z', created_by: `COPY layer-${i + 1} /` })),
      }),
      OCI_CONFIG,
    );
    const pushed = await this.pushManifest(repo, tag, { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers });
    return { ...pushed, platform: { architecture, os }, layers, config };
  }

  /** An index of these manifests (each with its platform), tagged. */
  async pushIndex(repo: string, tag: string, manifests: Descriptor[]): Promise<Descriptor> {
    return this.pushManifest(repo, tag, { schemaVersion: 2, mediaType: OCI_INDEX, manifests });
  }

  /** An artifact referring to `subject` (the referrers API lists it under its artifactType). */
  async pushReferrer(repo: string, subject: Descriptor, artifactType: string, payload: string, payloadType: string): Promise<Descriptor> {
    const empty = await this.pushBlob(repo, '{}', OCI_EMPTY);
    const layer = await this.pushBlob(repo, payload, payloadType);
    const { mediaType, digest, size } = subject;
    const pushed = await this.pushManifest(repo, undefined, {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType,
      config: empty,
      layers: [layer],
      subject: { mediaType, digest, size },
      annotations: { 'org.opencontainers.image.created': '2026-01-03T00:00:00Z' },
    });
    return { ...pushed, artifactType };
  }
}
