/**
 * Health endpoints of the node server, outside /v2 and outside the registry (no token, no
 * access-log noise from probes):
 *
 *   GET /healthz   200 while the process serves requests (liveness: restart me when this fails)
 *   GET /readyz    200 when the metadata store and blob storage answer their check(), else 503
 *                  naming the failing check (readiness: send me no traffic meanwhile)
 *
 * Body: {"status":"ok"|"unavailable","checks":{"metadata":"ok","blobs":"error: ..."}}.
 */
import type { RegistryResponse } from '../../core/messages.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';

/** The paths, for the deployments that probe them (lib/upload-service.ts). */
export const LIVENESS_PATH = '/healthz';
export const READINESS_PATH = '/readyz';

/** A check slower than this counts as failed: a probe must answer within its own timeout. */
const CHECK_TIMEOUT_MS = 3000;

export interface HealthState {
  metadata: Pick<MetadataStore, 'check'>;
  blobs: Pick<BlobStore, 'check'>;
  /**
   * Why the server takes no new work although its stores answer ('starting', 'shutting down'),
   * or undefined while it serves: readiness then fails so that nothing is sent here.
   */
  notServing(): string | undefined;
}

async function outcome(check: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return `error: ${message.replace(/\s+/g, ' ').slice(0, 300)}`;
  } finally {
    clearTimeout(timer);
  }
}

function json(status: number, body: unknown): RegistryResponse {
  return { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: `${JSON.stringify(body)}\n` };
}

/** Whether a request is for a health path (checked before anything else on every request, so no promise). */
export function isHealthRequest(method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path === LIVENESS_PATH || path === READINESS_PATH;
}

/** The response of a health path, or undefined when the request is not for one. */
export async function healthResponse(method: string, url: string, state: HealthState): Promise<RegistryResponse | undefined> {
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === LIVENESS_PATH) return json(200, { status: 'ok' });
  if (path !== READINESS_PATH) return undefined;
  const [metadata, blobs] = await Promise.all([outcome(() => state.metadata.check()), outcome(() => state.blobs.check())]);
  const checks: Record<string, string> = { metadata, blobs };
  const notServing = state.notServing();
  if (notServing) checks.server = `error: ${notServing}`;
  const ready = Object.values(checks).every((c) => c === 'ok');
  return json(ready ? 200 : 503, { status: ready ? 'ok' : 'unavailable', checks });
}
