/**
 * Pushes and pulls one small image under a repository name over plain HTTP (POST + monolithic
 * PUT for the blobs, PUT manifest by tag, then tags/list, manifest GET and HEAD, blob GET, blob
 * HEAD, referrers), checking every answer as a client would: the names the old per-depth API
 * could not route (issue 13) go through the harness's whole path with it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

/** A later component that is a route word, and a name deeper than the old limit of 5. */
export const ROUTE_WORD_NAMES: readonly string[] = [
  'org/tags',
  'team/blobs/app',
  'a/referrers/b',
  'x/manifests',
  'y/blobs/uploads',
  Array.from({ length: 12 }, (_, i) => `c${i}`).join('/'),
];

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

async function pushBlob(base: string, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(post.status, 202, `${repo}: POST uploads: ${await post.text()}`);
  const location = post.headers.get('location') ?? '';
  assert.ok(location.startsWith(`/v2/${repo}/blobs/uploads/`), `${repo}: the upload Location names the repository: ${location}`);
  const put = await fetch(`${base}${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: new Uint8Array(data),
  });
  assert.equal(put.status, 201, `${repo}: PUT blob: ${await put.text()}`);
  assert.equal(put.headers.get('location'), `/v2/${repo}/blobs/${digest}`);
  return digest;
}

export async function pushAndPull(base: string, repo: string): Promise<void> {
  const config = Buffer.from(JSON.stringify({ repo }));
  const layer = Buffer.from(`layer of ${repo}`);
  const configDigest = await pushBlob(base, repo, config);
  const layerDigest = await pushBlob(base, repo, layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  );
  const put = await fetch(`${base}/v2/${repo}/manifests/v1`, { method: 'PUT', headers: { 'content-type': OCI_MANIFEST }, body: new Uint8Array(manifest) });
  assert.equal(put.status, 201, `${repo}: PUT manifest: ${await put.text()}`);
  assert.equal(put.headers.get('location'), `/v2/${repo}/manifests/${sha256(manifest)}`);

  const tags = await fetch(`${base}/v2/${repo}/tags/list`);
  assert.equal(tags.status, 200, `${repo}: tags/list`);
  assert.deepEqual(await tags.json(), { name: repo, tags: ['v1'] });
  const got = await fetch(`${base}/v2/${repo}/manifests/v1`, { headers: { accept: OCI_MANIFEST } });
  assert.equal(got.status, 200, `${repo}: GET manifest`);
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(manifest), `${repo}: the manifest comes back byte for byte`);
  assert.equal(got.headers.get('docker-content-digest'), sha256(manifest));
  const head = await fetch(`${base}/v2/${repo}/manifests/${sha256(manifest)}`, { method: 'HEAD', headers: { accept: OCI_MANIFEST } });
  assert.equal(head.status, 200, `${repo}: HEAD manifest`);
  assert.equal(head.headers.get('content-length'), String(manifest.length));
  const blob = await fetch(`${base}/v2/${repo}/blobs/${layerDigest}`);
  assert.equal(blob.status, 200, `${repo}: GET blob (redirects followed)`);
  assert.ok(Buffer.from(await blob.arrayBuffer()).equals(layer), `${repo}: the layer comes back byte for byte`);
  const blobHead = await fetch(`${base}/v2/${repo}/blobs/${layerDigest}`, { method: 'HEAD' });
  assert.equal(blobHead.status, 200, `${repo}: HEAD blob`);
  assert.equal(blobHead.headers.get('content-length'), String(layer.length), `${repo}: HEAD blob Content-Length`);
  const referrers = await fetch(`${base}/v2/${repo}/referrers/${sha256(manifest)}`);
  assert.equal(referrers.status, 200, `${repo}: referrers`);
  assert.equal(((await referrers.json()) as { manifests: unknown[] }).manifests.length, 0);
}
