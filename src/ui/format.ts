/** How numbers, digests and times read on the console's pages. */

export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** sha256:0123456789ab: enough to tell digests apart on a page; the full one is in its title. */
export function shortDigest(d: string): string {
  const colon = d.indexOf(':');
  return colon === -1 ? d.slice(0, 19) : d.slice(0, colon + 13);
}

export function time(iso: string | undefined): string {
  if (!iso) return '—';
  const t = new Date(iso);
  return Number.isNaN(t.getTime())
    ? iso
    : t
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
        .replace(/:\d\dZ$/, 'Z');
}

/** A media type without its common prefix, for narrow tables. */
export function shortType(t: string | undefined): string {
  return (t ?? '').replace(/^application\/vnd\./, '');
}
