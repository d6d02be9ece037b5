// Result rows, ratios and the printed table.

export type Better = 'higher' | 'lower';

export interface Cell {
  value?: number;
  error?: string;
  /** Extra numbers behind the value (all repetitions, p50, errors...). */
  detail?: Record<string, unknown>;
}

export interface Row {
  id: string;
  label: string;
  unit: string;
  better: Better;
  stowage: Cell;
  /** Absent when distribution is not installed. */
  distribution?: Cell;
  /** The client-flow rows' null registry (bench/ceiling.ts), when the `ceiling` group runs: no ratio, no target. */
  ceiling?: Cell;
}

/** > 1 means Stowage is better: stowage/distribution for higher-is-better, distribution/stowage otherwise. */
export function ratioOf(row: Row): number | undefined {
  const s = row.stowage.value;
  const d = row.distribution?.value;
  if (s === undefined || d === undefined || !Number.isFinite(s) || !Number.isFinite(d) || s <= 0 || d <= 0) return undefined;
  return row.better === 'higher' ? s / d : d / s;
}

function fmtValue(c: Cell | undefined): string {
  if (c === undefined) return 'n/a';
  if (c.error !== undefined) return c.error.startsWith('skipped') ? 'skipped' : 'ERROR';
  if (c.value === undefined) return 'n/a';
  const v = c.value;
  if (v >= 1000) return v.toFixed(0);
  if (v >= 100) return v.toFixed(1);
  if (v >= 10) return v.toFixed(2);
  return v.toFixed(3);
}

/** `goals` (by row id) adds the target and whether it is met (bench/goals.ts computes them). */
export function formatTable(rows: readonly Row[], goals?: ReadonlyMap<string, { target: string | null; met: boolean | null }>): string {
  const header = ['#', 'measurement', 'unit', 'Stowage', 'distribution', 'ratio', ...(goals ? ['target', 'met'] : [])];
  const body = rows.map((r, i) => {
    const ratio = ratioOf(r);
    const g = goals?.get(r.id);
    const goalCells = goals ? [g?.target ?? '', g?.met === null || g?.met === undefined ? '' : g.met ? 'yes' : 'NO'] : [];
    return [String(i + 1), r.label, r.unit, fmtValue(r.stowage), fmtValue(r.distribution), ratio === undefined ? 'n/a' : ratio.toFixed(2), ...goalCells];
  });
  const widths = header.map((h, col) => Math.max(h.length, ...body.map((b) => b[col]!.length)));
  const numeric = new Set([0, 3, 4, 5]);
  const line = (cells: string[]) => cells.map((c, col) => (numeric.has(col) ? c.padStart(widths[col]!) : c.padEnd(widths[col]!))).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), sep, ...body.map(line)].join('\n');
}

export function formatErrors(rows: readonly Row[]): string[] {
  const out: string[] = [];
  rows.forEach((r, i) => {
    for (const [who, c] of [
      ['Stowage', r.stowage],
      ['distribution', r.distribution],
      ['null registry', r.ceiling],
    ] as const) {
      if (c?.error !== undefined) out.push(`row ${i + 1} (${r.label}), ${who}: ${c.error.split('\n').slice(0, 12).join('\n    ')}`);
    }
  });
  return out;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}
