/**
 * Durations as operators write them: `0s`, `90m`, `24h`, `1h30m`, `500ms`, `2d`, or a bare number
 * of seconds. One parser for the CLI flags (`stowage gc --grace`) and the settings that take one.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

export const DURATION_FORMAT = 'a duration such as 0s, 90m, 24h or 1h30m (units ms, s, m, h, d)';

/** Milliseconds, or null when `text` is not a duration. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number.parseFloat(t) * 1000;
  if (t === '') return null;
  let total = 0;
  PART.lastIndex = 0;
  let end = 0;
  for (let m = PART.exec(t); m; m = PART.exec(t)) {
    total += Number.parseFloat(m[1] as string) * (UNIT_MS[m[2] as string] as number);
    end = PART.lastIndex;
  }
  return end === t.length && Number.isFinite(total) ? Math.round(total) : null;
}
