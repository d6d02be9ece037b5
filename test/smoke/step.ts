/**
 * What the smoke test's checks share (test/smoke/smoke.ts and the step modules beside it): the
 * Skip a check throws to say why it did not run, and what a step leaves for the ones after it.
 */
import type { SyntheticPusher } from '../helpers/synthetic-push.js';

/** Thrown by a check that cannot run here; its message says why (printed as SKIP). */
export class Skip extends Error {}

/** An image a step pushed: where, its manifest digest and every blob digest (config and layers). */
export interface SmokeImage {
  repo: string;
  tag?: string;
  digest: string;
  blobs: string[];
}

/** The registry as a step sees it: its origin and a client that answers the token challenge. */
export interface SmokeRegistry {
  origin: string;
  host: string;
  client: SyntheticPusher;
}

/**
 * GETs a blob as a client does: a redirect (307 to a presigned URL) is followed without the
 * registry's Authorization header. Returns the bytes; throws on any other answer.
 */
export async function pullBlob(registry: SmokeRegistry, repo: string, digest: string): Promise<Buffer> {
  const first = await registry.client.call('GET', `/v2/${repo}/blobs/${digest}`, {}, `repository:${repo}:pull`);
  let res = first;
  if (first.status >= 300 && first.status < 400) {
    await first.arrayBuffer();
    const location = first.headers.get('location');
    if (!location) throw new Error(`GET ${repo} blob ${digest} -> ${first.status} without Location`);
    res = await fetch(new URL(location, registry.origin), { signal: AbortSignal.timeout(60_000) });
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`GET ${repo} blob ${digest} -> ${res.status}: ${bytes.toString('utf8', 0, 200)}`);
  return bytes;
}
