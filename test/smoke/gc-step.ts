/**
 * The smoke's `gc` check: the stack's collector Lambda (lib/collector.ts, output
 * CollectorFunctionName) runs when invoked and reports, and what is still tagged survives it.
 * The image deleted before (the events check's, else one pushed and deleted here) is younger
 * than the collector's grace period (1 hour by default), so a sweep right after the smoke keeps
 * its blobs by design: the check proves that a sweep runs to completion on the deployed
 * permissions and leaves every tagged image pullable, not that this run's blobs are reclaimed.
 */
import type { CollectionReport } from '../../src/core/gc/collector.js';
import type { LambdaInvocation, SmokeAws } from './aws.js';
import { pullBlob, Skip, type SmokeImage, type SmokeRegistry } from './step.js';

const COUNTS = ['manifestsDeleted', 'linksRemoved', 'blobsDeleted', 'bytesFreed', 'uploadsExpired', 'repositoriesSwept', 'blobsScanned', 'durationMs'] as const;

/** The collector's report from a synchronous invocation; throws with what went wrong otherwise. */
export function readCollectionReport(invocation: LambdaInvocation): CollectionReport {
  const { status, functionError, payload } = invocation;
  if (status !== 200) throw new Error(`Invoke -> ${status}: ${payload.slice(0, 300)}`);
  if (functionError) {
    let message = payload.slice(0, 300);
    try {
      const e = JSON.parse(payload) as { errorType?: string; errorMessage?: string };
      message = `${e.errorType ?? 'Error'}: ${e.errorMessage ?? ''}`;
    } catch {}
    throw new Error(`the collector failed (${functionError}): ${message}`);
  }
  let report: Record<string, unknown>;
  try {
    report = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    throw new Error(`the collector answered something that is not JSON: ${payload.slice(0, 300)}`);
  }
  const wrong: string[] = COUNTS.filter((k) => typeof report[k] !== 'number' || !Number.isFinite(report[k]) || (report[k] as number) < 0);
  if (typeof report.complete !== 'boolean') wrong.push('complete');
  if (report.dryRun !== false) wrong.push('dryRun');
  if (wrong.length > 0) throw new Error(`the collector's report lacks or garbles ${wrong.join(', ')}: ${payload.slice(0, 300)}`);
  return report as unknown as CollectionReport;
}

/** One line for the report. */
export function describeReport(r: CollectionReport): string {
  const freed = r.bytesFreed >= 1048576 ? `${(r.bytesFreed / 1048576).toFixed(1)} MiB` : `${(r.bytesFreed / 1024).toFixed(1)} KiB`;
  return `${r.repositoriesSwept} repositories swept, ${r.blobsScanned} blobs scanned, ${r.manifestsDeleted} manifests expired, ${r.linksRemoved} links removed, ${r.blobsDeleted} blobs deleted (${freed}), ${r.uploadsExpired} uploads expired, ${r.complete ? 'complete' : 'stopped at its time budget (the next run resumes)'} in ${(r.durationMs / 1000).toFixed(1)} s`;
}

export interface GcStepOptions {
  aws: SmokeAws;
  functionName: string;
  registry: SmokeRegistry;
  /** Images the smoke pushed and left tagged: each must still pull after the sweep. */
  survivors: readonly SmokeImage[];
  /** Invocation timeout. @default 16 minutes (the collector's own timeout is 15) */
  timeoutMs?: number;
}

export async function gcStep(o: GcStepOptions): Promise<{ detail: string; report: CollectionReport }> {
  const report = readCollectionReport(await o.aws.invoke(o.functionName, { source: 'stowage.smoke' }, o.timeoutMs ?? 16 * 60_000));
  if (report.skipped) throw new Skip(`${o.functionName} ran but did not sweep: ${report.skipped}`);
  for (const image of o.survivors) {
    const res = await o.registry.client.call('HEAD', `/v2/${image.repo}/manifests/${image.digest}`, {}, `repository:${image.repo}:pull`);
    if (res.status !== 200) throw new Error(`after the sweep, HEAD ${image.repo}@${image.digest} -> ${res.status}`);
    for (const digest of image.blobs) await pullBlob(o.registry, image.repo, digest);
  }
  const kept = o.survivors.length > 0 ? `; ${o.survivors.length} tagged smoke images still pull` : '';
  return { detail: `invoked ${o.functionName}: ${describeReport(report)}${kept}`, report };
}
