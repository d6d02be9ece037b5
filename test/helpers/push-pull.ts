/**
 * A small image pushed and pulled over HTTP with fetch, as a registry client does (POST + PUT
 * ?digest= per blob, PUT manifest by tag, then GET both back): for tests whose subject is the
 * server's behaviour around a normal client (limits, faults, file modes), not a client's quirks.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface PushedImage {
  manifestDigest: string;
  layerDigest: string;
}

/** What one step answered when it was not the success it expected. */
export class PushRefused extends Error {
  constructor(
    readonly step: string,
    readonly status: number,
    readonly body: string,
    readonly headers: Headers,
  ) {
    super(`${step}: ${status} ${body.slice(0, 300)}`);
  }
}

async function expect(step: string, res: Response, status: number): Promise<Response> {
  if (res.status !== status) throw new PushRefused(step, res.status, await res.text(), res.headers);
  return res;
}

/** Pushes one blob by POST then PUT ?digest= (the upload's Location); its digest. */
export async function pushBlob(url: string, repo: string, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<string> {
  const digest = sha256(bytes);
  const started = await expect('POST upload', await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers }), 202);
  const location = new URL(started.headers.get('location') ?? '', url);
  location.searchParams.set('digest', digest);
  await expect('PUT blob', await fetch(location, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes) }), 201);
  return digest;
}

/** Pushes a one-layer image of `layerBytes` random bytes under `repo:tag`. */
export async function pushImage(url: string, repo: string, tag: string, layerBytes = 64 << 10, headers: Record<string, string> = {}): Promise<PushedImage> {
  const layer = randomBytes(layerBytes);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layerDigest = await pushBlob(url, repo, layer, headers);
  const configDigest = await pushBlob(url, repo, config, headers);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.byteLength },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.byteLength }],
    }),
  );
  await expect(
    'PUT manifest',
    await fetch(`${url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest }),
    201,
  );
  return { manifestDigest: sha256(manifest), layerDigest };
}

/** Pulls `repo:tag` back and checks every byte against its digest. */
export async function pullImage(url: string, repo: string, tag: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await expect(
    'GET manifest',
    await fetch(`${url}/v2/${repo}/manifests/${tag}`, { headers: { ...headers, accept: 'application/vnd.oci.image.manifest.v1+json' } }),
    200,
  );
  const manifest = JSON.parse(await res.text()) as { config: { digest: string }; layers: { digest: string }[] };
  for (const { digest } of [manifest.config, ...manifest.layers]) {
    const blob = await expect(`GET blob ${digest}`, await fetch(`${url}/v2/${repo}/blobs/${digest}`, { headers }), 200);
    assert.equal(sha256(new Uint8Array(await blob.arrayBuffer())), digest, 'a pulled blob matches its digest');
  }
}
