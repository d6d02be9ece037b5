import { randomUUID } from 'node:crypto';
import { digestOf, randomBytes, type Algorithm } from './digest.js';
import { expectStatus, locationOf, req, withQuery, type Res } from './http.js';
import type { Registry } from './registry.js';

export const MT = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  schema1: 'application/vnd.docker.distribution.manifest.v1+json',
  schema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** The Accept header a typical client sends when pulling a manifest. */
export const ACCEPT_MANIFESTS = [MT.ociManifest, MT.ociIndex, MT.dockerManifest, MT.dockerList].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: { architecture: string; os: string };
}

export function descriptorOf(mediaType: string, data: Uint8Array | string, algorithm: Algorithm = 'sha256'): Descriptor {
  return { mediaType, digest: digestOf(data, algorithm), size: Buffer.byteLength(data) };
}

/** Pushes a blob with POST then PUT (sha512 sessions use ?digest-algorithm=sha512). Returns its digest. */
export async function pushBlob(reg: Registry, repo: string, data: Uint8Array | string, algorithm: Algorithm = 'sha256'): Promise<string> {
  const digest = digestOf(data, algorithm);
  const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/${algorithm === 'sha256' ? '' : '?digest-algorithm=' + algorithm}`);
  expectStatus(post, 202, 'spec (POST then PUT): POST /v2/<name>/blobs/uploads/ MUST answer 202 Accepted with a Location');
  const put = await req(reg, 'PUT', withQuery(locationOf(post, 'upload session Location'), { digest }), {
    headers: { 'content-type': 'application/octet-stream' },
    body: data,
  });
  expectStatus(put, 201, `spec (POST then PUT): closing PUT <location>?digest=${digest} MUST answer 201 Created`);
  return digest;
}

export function configBytes(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, ...extra });
}

export interface ImageManifestOptions {
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
  /** The top-level mediaType field; null leaves it out. Default: OCI image manifest. */
  mediaType?: string | null;
}

export function imageManifest(o: ImageManifestOptions): string {
  const m: Record<string, unknown> = { schemaVersion: 2 };
  const mediaType = o.mediaType === undefined ? MT.ociManifest : o.mediaType;
  if (mediaType !== null) m.mediaType = mediaType;
  if (o.artifactType !== undefined) m.artifactType = o.artifactType;
  m.config = o.config;
  m.layers = o.layers;
  if (o.subject) m.subject = o.subject;
  if (o.annotations) m.annotations = o.annotations;
  return JSON.stringify(m);
}

export interface IndexOptions {
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
  mediaType?: string;
}

export function indexManifest(o: IndexOptions): string {
  const m: Record<string, unknown> = { schemaVersion: 2, mediaType: o.mediaType ?? MT.ociIndex };
  if (o.artifactType !== undefined) m.artifactType = o.artifactType;
  m.manifests = o.manifests;
  if (o.subject) m.subject = o.subject;
  if (o.annotations) m.annotations = o.annotations;
  return JSON.stringify(m);
}

/** PUT /v2/<repo>/manifests/<ref> with the given Content-Type; returns the response unchecked. */
export function putManifest(reg: Registry, repo: string, ref: string, body: string | Uint8Array, contentType: string, query = ''): Promise<Res> {
  return req(reg, 'PUT', `/v2/${repo}/manifests/${ref}${query}`, {
    headers: { 'content-type': contentType },
    body,
  });
}

/** PUTs a manifest and asserts 201 Created; returns the manifest's sha256 digest. */
export async function pushManifest(reg: Registry, repo: string, ref: string, body: string, contentType: string): Promise<string> {
  const res = await putManifest(reg, repo, ref, body, contentType);
  expectStatus(res, 201, `spec (Pushing Manifests): PUT /v2/<name>/manifests/${ref} of a valid manifest MUST answer 201 Created`);
  return digestOf(body);
}

export interface PushedImage {
  /** exact manifest bytes */
  manifest: string;
  digest: string;
  size: number;
  config: Descriptor;
  layers: Descriptor[];
  descriptor: Descriptor;
}

/**
 * Pushes a small, unique OCI image (config + one random layer + manifest) into `repo`,
 * tagged with `tag` (or by digest when tag is undefined).
 */
export async function pushImage(
  reg: Registry,
  repo: string,
  tag?: string,
  extra: Partial<Pick<ImageManifestOptions, 'subject' | 'artifactType' | 'annotations'>> & { configMediaType?: string } = {},
): Promise<PushedImage> {
  const cfg = configBytes({ 'x-conformance': randomUUID() });
  const layer = randomBytes(64 + Math.floor(Math.random() * 64));
  const config = descriptorOf(extra.configMediaType ?? MT.ociConfig, cfg);
  const layers = [descriptorOf(MT.ociLayer, layer)];
  await pushBlob(reg, repo, cfg);
  await pushBlob(reg, repo, layer);
  const manifest = imageManifest({ config, layers, subject: extra.subject, artifactType: extra.artifactType, annotations: extra.annotations });
  const digest = digestOf(manifest);
  await pushManifest(reg, repo, tag ?? digest, manifest, MT.ociManifest);
  const size = Buffer.byteLength(manifest);
  return { manifest, digest, size, config, layers, descriptor: { mediaType: MT.ociManifest, digest, size } };
}
