// `BENCH_ONLY=meta npm run bench` (or `--only=meta`): only the metadata rows (manifest HEAD/GET by
// tag, tags list, catalog) against both registries, with none of the client flows before them, so
// that a change to the request path can be measured in about two minutes instead of six.
// The manifest rows read `bench/skopeo-s1:latest`, which the skopeo rows push in a full run; here
// an image of the same shape (config + 4 layers, OCI manifest) is pushed over HTTP instead. Its
// layers are small: only the manifest's bytes reach the metadata rows.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { summaryOf } from './goals.js';
import { formatErrors, formatTable, ratioOf, type Row } from './report.js';
import { repoRoot } from './targets.js';
import { monolithicBlobUpload, OCI_MANIFEST, putManifest } from './http.js';

export const META_ONLY = process.argv.includes('--only=meta') || process.env.BENCH_ONLY === 'meta';

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

/** Prints the metadata rows' table and writes them to .bench/meta-results.json (results.json is left alone). */
export async function reportMetaOnly(rows: Row[], envLines: readonly string[]): Promise<void> {
  const summary = summaryOf(rows);
  const out = [
    '',
    'Stowage vs distribution 2.8, metadata rows only (BENCH_ONLY=meta)',
    ...envLines.map((l) => `  ${l}`),
    '',
    formatTable(rows, new Map(summary.map((e) => [e.id, e]))),
  ];
  const errors = formatErrors(rows);
  if (errors.length) out.push('', 'Errors:', ...errors.map((e) => `  ${e}`));
  process.stdout.write(`${out.join('\n')}\n`);
  const dir = join(repoRoot(), '.bench');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'meta-results.json'),
    `${JSON.stringify({ date: new Date().toISOString(), table: summary, rows: rows.map((r) => ({ ...r, ratio: ratioOf(r) ?? null })) }, null, 2)}\n`,
  );
  if (rows.some((r) => r.stowage.error !== undefined)) process.exitCode = 1;
}
