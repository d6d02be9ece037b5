// `BENCH_ONLY=meta npm run bench` (or `--only=meta`, ./only.ts): only the metadata rows (manifest
// HEAD/GET by tag, tags list, catalog) against both registries, with none of the client flows before
// them, so that a change to the request path can be measured in minutes.
// The manifest rows read `bench/skopeo-s1:latest`, which the skopeo rows push in a full run; here
// an image of the same shape (config + 4 layers, OCI manifest) is pushed over HTTP instead. Its
// layers are small: only the manifest's bytes reach the metadata rows.
import { randomBytes } from 'node:crypto';
import { monolithicBlobUpload, OCI_MANIFEST, putManifest } from './http.js';

/** Pushes `repo:latest` (config + `layers` small random layers), the image the manifest rows read. */
export async function seedManifestImage(baseUrl: string, repo = 'bench/skopeo-s1', layers = 4): Promise<void> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const configDigest = await monolithicBlobUpload(baseUrl, repo, config);
  const layerDescriptors = [];
  for (let i = 0; i < layers; i++) {
    const layer = randomBytes(4096);
    const digest = await monolithicBlobUpload(baseUrl, repo, layer);
    layerDescriptors.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: layer.length });
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: layerDescriptors,
    }),
  );
  await putManifest(baseUrl, repo, 'latest', manifest, OCI_MANIFEST);
}
