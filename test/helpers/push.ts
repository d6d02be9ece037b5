/**
 * Pushes and pulls small OCI images over plain HTTP with fetch, as a registry client does
 * (monolithic blob POSTs, then the manifest PUT by tag), for tests about what a store keeps.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

export const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

export interface PushedImage {
  repository: string;
  tag: string;
  manifest: Buffer;
  manifestDigest: string;
  /** Every blob of the image (config first), digest -> bytes. */
  blobs: Map<string, Buffer>;
}

/** Pushes an image of `layers` random layers of `layerBytes` each; asserts every step's status. */
export async function pushImage(base: string, repository: string, tag: string, layers = 2, layerBytes = 64 * 1024): Promise<PushedImage> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: randomBytes(8).toString('hex') }));
  const layerBlobs = Array.from({ length: layers }, () => randomBytes(layerBytes));
  const blobs = new Map<string, Buffer>([[sha256(config), config], ...layerBlobs.map((l) => [sha256(l), l] as [string, Buffer])]);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layerBlobs.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(l), size: l.length })),
    }),
  );
  const image = { repository, tag, manifest, manifestDigest: sha256(manifest), blobs };
  await pushAgain(base, image);
  return image;
}

/** Pushes the same bytes again (every blob, then the manifest by tag). */
export async function pushAgain(base: string, image: PushedImage): Promise<void> {
  for (const [digest, bytes] of image.blobs) {
    const res = await fetch(`${base}/v2/${image.repository}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: new Uint8Array(bytes) });
    assert.equal(res.status, 201, `blob ${digest}: ${await res.text()}`);
  }
  const res = await fetch(`${base}/v2/${image.repository}/manifests/${image.tag}`, {
    method: 'PUT',
    headers: { 'content-type': MANIFEST_TYPE },
    body: new Uint8Array(image.manifest),
  });
  assert.equal(res.status, 201, `manifest ${image.repository}:${image.tag}: ${await res.text()}`);
}

/** Pulls `image` by its tag and asserts the manifest and every blob are bit-identical. */
export async function assertPullsIdentical(base: string, image: PushedImage): Promise<void> {
  const m = await fetch(`${base}/v2/${image.repository}/manifests/${image.tag}`, { headers: { accept: MANIFEST_TYPE } });
  assert.equal(m.status, 200, `${image.repository}:${image.tag}`);
  assert.ok(Buffer.from(await m.arrayBuffer()).equals(image.manifest), `${image.repository}:${image.tag} manifest bytes`);
  for (const [digest, bytes] of image.blobs) {
    const b = await fetch(`${base}/v2/${image.repository}/blobs/${digest}`);
    assert.equal(b.status, 200, `${image.repository} blob ${digest}`);
    assert.ok(Buffer.from(await b.arrayBuffer()).equals(bytes), `${image.repository} blob ${digest} bytes`);
  }
}
