// BENCH_ONLY=group,... (or --only=group,...): run only these groups of server rows, to measure one
// part quickly (e.g. BENCH_ONLY=blob: the blob uploads and GETs, a few minutes instead of the whole
// bench). Both registries still run side by side; the peak-RSS-over-the-bench row always comes
// along (it covers what ran). Without it, every group runs, then the in-process rows and the AWS
// call counts, which a selection skips.
// `ceiling` adds the null registry (bench/ceiling.ts) as a third server to the skopeo, docker and
// blob rows that run; alone (BENCH_ONLY=ceiling) it brings skopeo and docker.
export const BENCH_GROUPS = ['skopeo', 'docker', 'blob', 'manifest', 'tags', 'catalog', 'rss', 'gc', 'ceiling'] as const;
export type BenchGroup = (typeof BENCH_GROUPS)[number];

function selected(): Set<BenchGroup> | undefined {
  const raw = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? process.env.BENCH_ONLY;
  if (raw === undefined || raw.trim() === '') return undefined;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // `meta`: the metadata rows (manifest HEAD/GET by tag, tags list, catalog).
  const expanded = names.flatMap((n) => (n === 'meta' ? ['manifest', 'tags', 'catalog'] : [n]));
  if (expanded.includes('ceiling') && !['skopeo', 'docker', 'blob'].some((g) => expanded.includes(g))) expanded.push('skopeo', 'docker');
  const unknown = expanded.filter((n) => !(BENCH_GROUPS as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown group(s) ${unknown.join(', ')}; groups: ${BENCH_GROUPS.join(', ')}, meta`);
  return new Set(expanded as BenchGroup[]);
}

/** The groups chosen with BENCH_ONLY / --only=, or undefined when the whole bench runs. */
export const ONLY = selected();

/** Whether this group of rows runs in this bench. */
export function runs(group: BenchGroup): boolean {
  return ONLY === undefined || ONLY.has(group);
}
