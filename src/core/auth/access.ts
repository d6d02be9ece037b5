/**
 * Docker token `access` entries and the scope strings clients ask for them with.
 *
 *   scope  = type [ "(" class ")" ] ":" name ":" actions      e.g. repository:team/app:pull,push
 *   entry  = { type, name, actions }                          as carried in a token's `access` claim
 *
 * The name sits between the first and the last colon, so a name with a colon in it (a registry
 * host with a port, which some clients prepend) still parses; the resource class (`repository(plugin)`)
 * is dropped, as distribution does. `registry:catalog:*` is the catalog's scope. Pure: no I/O.
 */
import type { AccessEntry } from '../../ports/principal.js';
import type { Action } from '../routes.js';

export type { AccessEntry } from '../../ports/principal.js';

/** Scope strings longer than this are refused unparsed (a header or URL has no business carrying more). */
const MAX_SCOPE_LENGTH = 512;

/** Parses one scope string; null when it is not of the form type:name:actions. */
export function parseScope(scope: string): AccessEntry | null {
  if (scope.length === 0 || scope.length > MAX_SCOPE_LENGTH) return null;
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return null;
  const type = scope.slice(0, first).replace(/\([a-z0-9]+\)$/, '');
  const name = scope.slice(first + 1, last);
  const actions = scope
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (!/^[a-z]+$/.test(type) || name === '' || actions.length === 0) return null;
  return { type, name, actions: [...new Set(actions)] };
}

/**
 * Every scope of a token request: repeated `scope` parameters (GET) or one space-separated
 * value (the OAuth2 POST form); both forms are split on spaces. Unparseable scopes are ignored,
 * as distribution's token servers do: the token then simply grants nothing for them.
 */
export function parseScopes(values: readonly string[]): AccessEntry[] {
  const out: AccessEntry[] = [];
  for (const value of values) {
    for (const part of value.split(' ')) {
      const entry = part === '' ? null : parseScope(part);
      if (entry) out.push(entry);
    }
  }
  return mergeAccess(out);
}

export function formatScope(entry: AccessEntry): string {
  return `${entry.type}:${entry.name}:${entry.actions.join(',')}`;
}

/** Entries for the same resource merged into one, actions de-duplicated; order of first appearance. */
export function mergeAccess(entries: readonly AccessEntry[]): AccessEntry[] {
  const byKey = new Map<string, AccessEntry>();
  for (const e of entries) {
    const key = `${e.type}\u0000${e.name}`;
    const seen = byKey.get(key);
    if (seen) seen.actions = [...new Set([...seen.actions, ...e.actions])];
    else byKey.set(key, { type: e.type, name: e.name, actions: [...new Set(e.actions)] });
  }
  return [...byKey.values()];
}

/** The policy actions a token action word stands for (`*` is every repository action). */
export function expandActions(words: readonly string[]): Set<Action> {
  const out = new Set<Action>();
  for (const w of words) {
    if (w === '*') for (const a of ['pull', 'push', 'delete'] as const) out.add(a);
    else if (w === 'pull' || w === 'push' || w === 'delete') out.add(w);
  }
  return out;
}

/** The resource an action on a repository is asked for with, as an access entry. */
export function accessFor(repository: string | null, action: Action): AccessEntry {
  return action === 'catalog' || repository === null ? { type: 'registry', name: 'catalog', actions: ['*'] } : { type: 'repository', name: repository, actions: [action] };
}
