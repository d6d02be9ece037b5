// The targets of issue 15, one per bench row, and what the bench writes from them: the summary
// table of .bench/results.json ({row, stowage, distribution, ratio, target, met} with units),
// .bench/report.md and the bar chart of the ratios against their targets (.bench/ratios.svg).
import { ratioOf, type Row } from './report.js';

/**
 * A row's target: a least ratio against distribution (oriented as ratioOf: > 1 means Stowage is
 * better), or a most value for Stowage in the row's unit (absolute limits, e.g. MiB of RSS).
 */
export type Goal = { minRatio: number } | { maxStowage: number };

export const GOALS: Readonly<Record<string, Goal>> = {
  blob_get_1: { minRatio: 1.5 },
  blob_get_32: { minRatio: 1.5 },
  blob_upload: { minRatio: 3 },
  blob_upload_chunked: { minRatio: 3 },
  skopeo_push_1: { minRatio: 1.5 },
  skopeo_pull_1: { minRatio: 1.3 },
  skopeo_push_8: { minRatio: 1.5 },
  skopeo_pull_8: { minRatio: 1.5 },
  docker_push_1: { minRatio: 1.2 },
  docker_pull_1: { minRatio: 1.2 },
  docker_push_8: { minRatio: 1.5 },
  docker_pull_8: { minRatio: 1.5 },
  manifest_head_rps: { minRatio: 10 },
  manifest_head_p99: { minRatio: 10 },
  manifest_get_rps: { minRatio: 10 },
  manifest_get_p99: { minRatio: 10 },
  tags_list_rps: { minRatio: 5 },
  catalog_rps: { minRatio: 5 },
  peak_rss: { minRatio: 1 },
  rss_streamed_push: { maxStowage: 128 },
  // Issue 10: Stowage's collection runs online, distribution's offline.
  gc_sweep_s: { minRatio: 5 },
  gc_peak_rss: { maxStowage: 256 },
};

export function goalText(goal: Goal | undefined, unit: string): string {
  if (!goal) return '';
  return 'minRatio' in goal ? `>= ${goal.minRatio}x` : `<= ${goal.maxStowage} ${unit}`;
}

/** One line of the issue's table, as results.json `table` holds it. */
export interface SummaryEntry {
  id: string;
  row: string;
  unit: string;
  stowage: number | null;
  distribution: number | null;
  /** > 1 means Stowage is better (see bench/README.md, "Reading the numbers"). */
  ratio: number | null;
  target: string | null;
  /** null when the row has no target or a value is missing. */
  met: boolean | null;
}

export function summaryOf(rows: readonly Row[]): SummaryEntry[] {
  return rows.map((r) => {
    const goal = GOALS[r.id];
    const ratio = ratioOf(r) ?? null;
    const stowage = r.stowage.value ?? null;
    let met: boolean | null = null;
    if (goal && 'minRatio' in goal && ratio !== null) met = ratio >= goal.minRatio;
    if (goal && 'maxStowage' in goal && stowage !== null) met = stowage <= goal.maxStowage;
    return {
      id: r.id,
      row: r.label,
      unit: r.unit,
      stowage,
      distribution: r.distribution?.value ?? null,
      ratio,
      target: goal ? goalText(goal, r.unit) : null,
      met,
    };
  });
}

const fmt = (v: number | null, digits = 2) => (v === null ? 'n/a' : v >= 100 ? v.toFixed(0) : v.toFixed(digits));

/**
 * Horizontal bars of the ratios on a log scale (0.25x .. 32x), one per row with a ratio; green
 * when the row meets its target, red when not, grey without a target; the target as a black tick.
 */
export function ratioChartSvg(entries: readonly SummaryEntry[]): string {
  const shown = entries.filter((e) => e.ratio !== null);
  const rowH = 22;
  const left = 330;
  const width = 820;
  const plotW = width - left - 60;
  const top = 30;
  const height = top + shown.length * rowH + 40;
  const lo = Math.log2(0.25);
  const hi = Math.log2(32);
  const x = (ratio: number) => left + ((Math.log2(Math.min(32, Math.max(0.25, ratio))) - lo) / (hi - lo)) * plotW;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="18" font-weight="bold">Stowage / distribution (log scale; &gt; 1 = Stowage better; tick = target)</text>`,
  ];
  for (const g of [0.25, 0.5, 1, 2, 4, 8, 16, 32]) {
    const gx = x(g).toFixed(1);
    out.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${height - 30}" stroke="${g === 1 ? '#555' : '#ddd'}"/>`);
    out.push(`<text x="${gx}" y="${height - 14}" text-anchor="middle">${g}x</text>`);
  }
  shown.forEach((e, i) => {
    const y = top + i * rowH;
    const color = e.met === null ? '#999' : e.met ? '#2a9d3c' : '#d33';
    const x0 = x(1);
    const x1 = x(e.ratio!);
    out.push(`<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(e.row)}</text>`);
    out.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 3}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${rowH - 8}" fill="${color}"/>`);
    out.push(`<text x="${(Math.max(x0, x1) + 4).toFixed(1)}" y="${y + 14}">${fmt(e.ratio)}</text>`);
    const goal = GOALS[e.id];
    if (goal && 'minRatio' in goal) {
      const tx = x(goal.minRatio).toFixed(1);
      out.push(`<line x1="${tx}" y1="${y + 1}" x2="${tx}" y2="${y + rowH - 3}" stroke="black" stroke-width="2"/>`);
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface ReportInput {
  date: string;
  quick: boolean;
  machine: string;
  tools: string;
  notes: string[];
  entries: readonly SummaryEntry[];
  /** Markdown lines after the table (e.g. the client-flow ceilings). */
  sections?: readonly string[];
}

/** .bench/report.md: the machine, the tools, the table and the chart (ratios.svg beside it). */
export function reportMarkdown(r: ReportInput): string {
  const met = r.entries.filter((e) => e.met === true).length;
  const judged = r.entries.filter((e) => e.met !== null).length;
  const lines = [
    `# Stowage vs distribution 2.8: bench of ${r.date}${r.quick ? ' (QUICK: sizes and durations shrunk, not comparable)' : ''}`,
    '',
    `- Machine: ${r.machine}`,
    `- Tools: ${r.tools}`,
    ...r.notes.map((n) => `- ${n}`),
    `- Targets met: ${met} of ${judged} rows with a target and a value.`,
    '',
    '![ratios against targets](ratios.svg)',
    '',
    '| Row | Unit | Stowage | distribution | Ratio | Target | Met |',
    '|---|---|---:|---:|---:|---|---|',
    ...r.entries.map(
      (e) =>
        `| ${e.row} | ${e.unit} | ${fmt(e.stowage)} | ${fmt(e.distribution)} | ${e.ratio === null ? 'n/a' : `${fmt(e.ratio)}x`} | ${e.target ?? ''} | ${e.met === null ? '' : e.met ? 'yes' : 'NO'} |`,
    ),
    '',
    'Ratio > 1 means Stowage is better: throughput and req/s rows are Stowage/distribution, latency and memory rows distribution/Stowage. Full detail (every repetition, percentiles, phase timings) in results.json.',
    '',
    ...(r.sections ?? []),
  ];
  return lines.join('\n');
}
