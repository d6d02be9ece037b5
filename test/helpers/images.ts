// Building test images without Docker or a network: umoci writes an OCI image layout, skopeo
// converts it for `docker load`, tar packs it for `ctr images import`.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { run } from './exec.js';

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface OciManifest {
  schemaVersion: number;
  mediaType?: string;
  config: OciDescriptor;
  layers: OciDescriptor[];
}

export interface TestImage {
  /** OCI image layout directory (lower-case path segment, so podman can name images after it). */
  layoutDir: string;
  tag: string;
  /** Digest of the image manifest that `tag` points to in the layout. */
  manifestDigest: string;
  /** The manifest's exact bytes as stored in the layout. */
  manifestBytes: Buffer;
  /** Digest of the image config; Docker and podman use it as the image ID. */
  configDigest: string;
  /** Compressed layer digests, base first. */
  layerDigests: string[];
  /** Sum of compressed layer sizes. */
  totalLayerBytes: number;
}

const UMOCI_TIMEOUT_MS = 180_000;

async function writeRandomFile(path: string, size: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    const chunk = 1024 * 1024;
    for (let written = 0; written < size; ) {
      const n = Math.min(chunk, size - written);
      await fh.write(randomBytes(n));
      written += n;
    }
  } finally {
    await fh.close();
  }
}

/** Path of a blob inside an OCI layout. */
export function blobPath(layoutDir: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  if (!alg || !hex) throw new Error(`bad digest ${digest}`);
  return join(layoutDir, 'blobs', alg, hex);
}

/** Reads index.json of an OCI layout and returns the manifest descriptor for `tag`. */
export async function findManifestInLayout(layoutDir: string, tag: string): Promise<OciDescriptor> {
  const index = JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8')) as { manifests?: OciDescriptor[] };
  const desc = (index.manifests ?? []).find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!desc) throw new Error(`tag ${tag} not found in ${layoutDir}/index.json`);
  return desc;
}

/** Describes the image that `tag` names in an OCI layout (digests, manifest bytes). */
export async function describeLayoutImage(layoutDir: string, tag: string): Promise<TestImage> {
  const desc = await findManifestInLayout(layoutDir, tag);
  const manifestBytes = await readFile(blobPath(layoutDir, desc.digest));
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as OciManifest;
  return {
    layoutDir,
    tag,
    manifestDigest: desc.digest,
    manifestBytes,
    configDigest: manifest.config.digest,
    layerDigests: manifest.layers.map((l) => l.digest),
    totalLayerBytes: manifest.layers.reduce((s, l) => s + l.size, 0),
  };
}

/**
 * Builds an OCI image layout at `${dir}/layout` holding one image, `tag` (default "latest"), with
 * `layers` layers, each adding one file of `layerSizeBytes` random (incompressible) bytes, so every
 * call produces new, unique blobs. umoci: init, new, then per layer a fresh `unpack --rootless`,
 * a new file, `repack`; finally the bundles are removed and the layout garbage-collected.
 */
export async function buildTestImage(dir: string, opts: { layers: number; layerSizeBytes: number; tag?: string }): Promise<TestImage> {
  const tag = opts.tag ?? 'latest';
  if (!Number.isInteger(opts.layers) || opts.layers < 1) throw new Error(`layers must be >= 1, got ${opts.layers}`);
  if (!Number.isInteger(opts.layerSizeBytes) || opts.layerSizeBytes < 0) {
    throw new Error(`layerSizeBytes must be a non-negative integer, got ${opts.layerSizeBytes}`);
  }
  await mkdir(dir, { recursive: true });
  const layoutDir = join(dir, 'layout');
  const image = `${layoutDir}:${tag}`;
  const t = { timeoutMs: UMOCI_TIMEOUT_MS };
  await run('umoci', ['init', '--layout', layoutDir], t);
  await run('umoci', ['new', '--image', image], t);
  for (let i = 0; i < opts.layers; i++) {
    const bundle = join(dir, `bundle-${i}`);
    await run('umoci', ['unpack', '--rootless', '--image', image, bundle], t);
    await writeRandomFile(join(bundle, 'rootfs', `layer-${i}.bin`), opts.layerSizeBytes);
    await run('umoci', ['repack', '--image', image, bundle], t);
    await rm(bundle, { recursive: true, force: true });
  }
  await run('umoci', ['gc', '--layout', layoutDir], t);
  const described = await describeLayoutImage(layoutDir, tag);
  if (described.layerDigests.length !== opts.layers) {
    throw new Error(`expected ${opts.layers} layers in ${image}, umoci made ${described.layerDigests.length}`);
  }
  return described;
}

/**
 * Converts the image `tag` of an OCI layout into a `docker load`-able archive whose image is named
 * `imageRef` (e.g. "e2e/src:v1").
 */
export async function ociLayoutToDockerArchive(layoutDir: string, tag: string, archivePath: string, imageRef: string): Promise<void> {
  await mkdir(dirname(archivePath), { recursive: true });
  await rm(archivePath, { force: true });
  await run('skopeo', ['copy', '--quiet', `oci:${layoutDir}:${tag}`, `docker-archive:${archivePath}:${imageRef}`], {
    timeoutMs: 180_000,
  });
}

/** Tars an OCI layout (index.json, oci-layout, blobs/ at the archive root) for `ctr images import`. */
export async function tarOciLayout(layoutDir: string, tarPath: string): Promise<void> {
  await mkdir(dirname(tarPath), { recursive: true });
  await run('tar', ['-cf', tarPath, '-C', layoutDir, '.'], { timeoutMs: 120_000 });
}
