/**
 * The console's routes, as paths under /ui/ (so a reload or a shared link opens the same page:
 * the server answers index.html for them). A repository name has slashes, so what follows it
 * is set off by `/-/`, a segment no repository name can hold.
 *
 *   /ui/                                 repositories
 *   /ui/r/NAME                           tags of NAME (?last=TAG: the page after TAG)
 *   /ui/r/NAME/-/manifest/REFERENCE      a manifest or index (tag or digest)
 *   /ui/r/NAME/-/lifecycle               lifecycle preview
 *   /ui/sign-in                          sign in
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'repositories' }
  | { page: 'tags'; name: string; last?: string }
  | { page: 'manifest'; name: string; reference: string }
  | { page: 'lifecycle'; name: string }
  | { page: 'sign-in'; back?: string }
  | { page: 'not-found' };

const BASE = '/ui/';

export function parseRoute(pathname: string, search: string): Route {
  if (!pathname.startsWith(BASE)) return { page: 'not-found' };
  const rest = decodeURIComponent(pathname.slice(BASE.length));
  const query = new URLSearchParams(search);
  if (rest === '') return { page: 'repositories' };
  if (rest === 'sign-in') return { page: 'sign-in', ...(query.get('back') && { back: query.get('back')! }) };
  if (!rest.startsWith('r/')) return { page: 'not-found' };
  const [name = '', tail = ''] = rest.slice(2).split('/-/');
  if (!name) return { page: 'not-found' };
  if (tail === '') return { page: 'tags', name, ...(query.get('last') && { last: query.get('last')! }) };
  if (tail === 'lifecycle') return { page: 'lifecycle', name };
  if (tail.startsWith('manifest/') && tail.length > 9) return { page: 'manifest', name, reference: tail.slice(9) };
  return { page: 'not-found' };
}

export const href = {
  repositories: () => BASE,
  tags: (name: string, last?: string) => `${BASE}r/${name}${last ? `?last=${encodeURIComponent(last)}` : ''}`,
  manifest: (name: string, reference: string) => `${BASE}r/${name}/-/manifest/${reference}`,
  lifecycle: (name: string) => `${BASE}r/${name}/-/lifecycle`,
  signIn: (back?: string) => `${BASE}sign-in${back ? `?back=${encodeURIComponent(back)}` : ''}`,
};

export function navigate(to: string): void {
  history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
  window.scrollTo(0, 0);
}

/** The current route, following history (links are intercepted in main.tsx). */
export function useRoute(): Route {
  const read = () => parseRoute(location.pathname, location.search);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return route;
}
