/**
 * zod issues as the one-line problems a refusal prints: `path: message`, with paths written as a
 * user reads them in their document (`repositories[0].lifecyclePolicy.rules[1].selection`).
 * zod/mini loads no locale by itself: English is set before the first parse.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

let english = false;

export function inEnglish(): void {
  if (english) return;
  config(en());
  english = true;
}

/** `a.b[0].c` from a zod path, optionally below a prefix path. */
export function pathText(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || '(document)';
}

export function issuesText(issues: readonly { path: readonly PropertyKey[]; message: string }[], prefix = ''): string[] {
  return issues.map((i) => `${pathText(i.path, prefix)}: ${i.message}`);
}
