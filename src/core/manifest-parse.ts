/**
 * Validates a pushed manifest (zod schemas for the OCI image manifest and index and their
 * Docker schema2 twins) and extracts what the registry needs: the media type it is stored
 * under, the blobs and child manifests it references, its subject and artifact type.
 */
// Named imports rather than the `z` namespace object, which holds all of zod (every locale,
// JSON Schema conversion) where no bundler can shake it out: 450 KiB of each Lambda bundle.
import { array, literal, number, object, record, string, union, type infer as Infer, type ZodError } from 'zod';
import { parseDigest, type Digest } from './digest.js';
import { RegistryError } from './errors.js';
import { DOCKER_SCHEMA1, IMAGE_MANIFEST_TYPES, INDEX_TYPES, SUPPORTED_MANIFEST_TYPES, isNonDistributableLayer } from './manifest-media.js';
import type { ReferrerDescriptor } from '../ports/metadata-store.js';

const z = { array, literal, number, object, record, string, union };

/**
 * The schemas, built on the first parse rather than at import: building a zod schema is a call
 * a bundler must keep, so module-level schemas would put zod's classic API (about 70 KB) in every
 * Lambda that imports the manifest operations, where only the push (putManifest) parses.
 */
function buildSchemas() {
  const annotations = z.record(z.string(), z.string());
  /** RFC 6838 `type/subtype` (with optional parameters), at most 255 characters. */
  const mediaTypeString = z
    .string()
    .max(255)
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(?:\s*;.*)?$/,
      'must be a media type such as application/vnd.oci.image.layer.v1.tar+gzip',
    );
  const descriptor = z.object({
    mediaType: mediaTypeString,
    digest: z.string(),
    size: z.number().int().nonnegative(),
    urls: z.array(z.string()).optional(),
    annotations: annotations.optional(),
    artifactType: mediaTypeString.optional(),
  });
  const imageManifest = z.object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.union([mediaTypeString, z.literal('')]).optional(),
    config: descriptor,
    layers: z.array(descriptor),
    subject: descriptor.optional(),
    annotations: annotations.optional(),
  });
  const imageIndex = z.object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.union([mediaTypeString, z.literal('')]).optional(),
    manifests: z.array(descriptor),
    subject: descriptor.optional(),
    annotations: annotations.optional(),
  });
  return { imageManifest, imageIndex };
}

let built: ReturnType<typeof buildSchemas> | undefined;
const schemas = () => (built ??= buildSchemas());

type Descriptor = Infer<ReturnType<typeof buildSchemas>['imageManifest']>['config'];

export interface ParsedManifest {
  mediaType: string;
  /** Blobs that must be present in the repository (config and distributable layers). */
  blobs: Digest[];
  /** Manifests that must be present in the repository (children of an index). */
  manifests: Digest[];
  subject: Digest | null;
  artifactType: string | null;
  annotations: Record<string, string> | null;
}

function invalid(message: string, detail?: unknown): RegistryError {
  return new RegistryError('MANIFEST_INVALID', message, { detail: detail ?? null });
}

function unsupported(mediaType: string): RegistryError {
  return new RegistryError('UNSUPPORTED', `manifest media type "${mediaType.slice(0, 100)}" is not supported: push one of ${SUPPORTED_MANIFEST_TYPES.join(', ')}`, {
    detail: { mediaType: mediaType.slice(0, 100) },
  });
}

function descriptorDigest(d: Descriptor, where: string): Digest {
  try {
    return parseDigest(d.digest);
  } catch (err) {
    throw invalid(`${where}: ${(err as Error).message}`);
  }
}

/** `application/json; charset=utf-8` -> `application/json`. */
export function baseMediaType(contentType: string | undefined): string | undefined {
  const base = contentType?.split(';')[0]?.trim().toLowerCase();
  return base ? base : undefined;
}

export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw invalid(`manifest is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('manifest must be a JSON object');
  const fields = json as { mediaType?: unknown; schemaVersion?: unknown };

  const header = baseMediaType(contentType);
  const declared = typeof fields.mediaType === 'string' ? fields.mediaType : undefined;
  if (fields.schemaVersion === 1 || (header && DOCKER_SCHEMA1.includes(header))) {
    throw new RegistryError('UNSUPPORTED', 'Docker schema1 manifests are not supported: push a schema2 or OCI manifest (docker and skopeo convert automatically)');
  }
  const headerIsGeneric = header === undefined || header === 'application/json' || header === 'application/octet-stream';
  if (declared && !headerIsGeneric && declared !== header) {
    throw invalid(`Content-Type "${header}" does not match the manifest's mediaType "${declared}": send the manifest's media type as Content-Type`);
  }
  const mediaType = headerIsGeneric ? declared : header;
  if (!mediaType) {
    throw invalid('cannot tell the manifest type: send its media type as Content-Type or set the mediaType field');
  }
  if (!SUPPORTED_MANIFEST_TYPES.includes(mediaType)) throw unsupported(mediaType);

  if (IMAGE_MANIFEST_TYPES.includes(mediaType)) {
    const result = schemas().imageManifest.safeParse(json);
    if (!result.success) throw invalid(`invalid image manifest: ${formatIssues(result.error)}`);
    const m = result.data;
    const blobs = [descriptorDigest(m.config, 'config')];
    m.layers.forEach((layer, i) => {
      const digest = descriptorDigest(layer, `layers[${i}]`);
      // Foreign and non-distributable layers, and any layer with URLs, are fetched from elsewhere.
      if (!isNonDistributableLayer(layer.mediaType) && !(layer.urls && layer.urls.length > 0)) blobs.push(digest);
    });
    return {
      mediaType,
      blobs,
      manifests: [],
      subject: m.subject ? descriptorDigest(m.subject, 'subject') : null,
      // The spec: an empty or missing artifactType falls back to the config media type.
      artifactType: m.artifactType || m.config.mediaType,
      annotations: m.annotations ?? null,
    };
  }

  const result = schemas().imageIndex.safeParse(json);
  if (!result.success) throw invalid(`invalid image index: ${formatIssues(result.error)}`);
  const idx = result.data;
  return {
    mediaType,
    blobs: [],
    manifests: idx.manifests.map((d, i) => descriptorDigest(d, `manifests[${i}]`)),
    subject: idx.subject ? descriptorDigest(idx.subject, 'subject') : null,
    artifactType: idx.artifactType || null,
    annotations: idx.annotations ?? null,
  };
}

export function isIndexType(mediaType: string): boolean {
  return INDEX_TYPES.includes(mediaType);
}

/** The descriptor that lists this manifest in its subject's referrers. */
export function referrerDescriptor(parsed: ParsedManifest, digest: string, size: number): ReferrerDescriptor {
  const d: ReferrerDescriptor = { mediaType: parsed.mediaType, digest, size };
  if (parsed.artifactType) d.artifactType = parsed.artifactType;
  if (parsed.annotations) d.annotations = parsed.annotations;
  return d;
}

function formatIssues(error: ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
