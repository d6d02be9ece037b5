// --repeat=N (BENCH_REPEAT): the bench measures the selected rows N times, each round with freshly
// started servers, and reports per row and per server the median of the rounds (issue 15 asks for
// the median of reruns). Each round's cell stays in the merged cell's detail (`rounds`).
import { median, type Cell, type Row } from './report.js';

function mergeCells(cells: readonly (Cell | undefined)[]): Cell | undefined {
  const present = cells.filter((c): c is Cell => c !== undefined);
  if (!present.length) return undefined;
  const values = present.flatMap((c) => (c.value !== undefined && Number.isFinite(c.value) ? [c.value] : []));
  if (!values.length) return present[0];
  const errors = present.flatMap((c) => (c.error !== undefined ? [c.error] : []));
  return {
    value: median(values),
    detail: {
      rounds: present.map((c) => ({ value: c.value, ...(c.error !== undefined && { error: c.error }), ...c.detail })),
      ...(errors.length && { failedRounds: errors.length }),
    },
  };
}

/** Rows in the first round's order, each cell the median of the rounds that measured it; one round is returned as it is. */
export function medianOfRounds(rounds: readonly (readonly Row[])[]): Row[] {
  if (rounds.length === 1) return [...rounds[0]!];
  const ids: string[] = [];
  for (const rows of rounds) for (const r of rows) if (!ids.includes(r.id)) ids.push(r.id);
  return ids.map((id) => {
    const same = rounds.flatMap((rows) => rows.filter((r) => r.id === id));
    const first = same[0]!;
    const row: Row = { ...first, stowage: mergeCells(same.map((r) => r.stowage)) ?? { error: 'not measured' } };
    const distribution = mergeCells(same.map((r) => r.distribution));
    const ceiling = mergeCells(same.map((r) => r.ceiling));
    if (distribution) row.distribution = distribution;
    else delete row.distribution;
    if (ceiling) row.ceiling = ceiling;
    else delete row.ceiling;
    return row;
  });
}
