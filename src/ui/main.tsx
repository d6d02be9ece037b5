/**
 * The web console: a Preact app served at /ui/ (src/shells/http/console-assets.ts; on AWS from
 * S3 behind the front door, lib/console.ts). Built by scripts/build-ui.mjs. It talks to the
 * registry only through its HTTP API (./api.ts), as the signed-in user or anonymously.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { RegistryClient } from './api.js';
import { useLoad } from './components.js';
import { LifecyclePage } from './pages/lifecycle.js';
import { ManifestPage } from './pages/manifest.js';
import { RepositoriesPage } from './pages/repositories.js';
import { SignInPage } from './pages/sign-in.js';
import { TagsPage } from './pages/tags.js';
import { href, navigate, useRoute, type Route } from './router.js';
import './console.css';

const api = new RegistryClient();

function Page({ route, signedIn, onSignedIn }: { route: Route; signedIn: boolean; onSignedIn: () => void }) {
  switch (route.page) {
    case 'repositories':
      return <RepositoriesPage api={api} signedIn={signedIn} />;
    case 'tags':
      return <TagsPage api={api} name={route.name} signedIn={signedIn} {...(route.last !== undefined && { last: route.last })} />;
    case 'manifest':
      return <ManifestPage api={api} name={route.name} reference={route.reference} signedIn={signedIn} />;
    case 'lifecycle':
      return <LifecyclePage api={api} name={route.name} signedIn={signedIn} />;
    case 'sign-in':
      return <SignInPage api={api} onSignedIn={onSignedIn} {...(route.back !== undefined && { back: route.back })} />;
    default:
      return (
        <section>
          <h1>No such page</h1>
          <p>
            <a href={href.repositories()}>See the repositories</a>
          </p>
        </section>
      );
  }
}

const TITLES: Record<Route['page'], (r: Route) => string> = {
  repositories: () => 'Repositories',
  tags: (r) => (r.page === 'tags' ? r.name : ''),
  manifest: (r) => (r.page === 'manifest' ? `${r.name} ${r.reference}` : ''),
  lifecycle: (r) => (r.page === 'lifecycle' ? `Lifecycle of ${r.name}` : ''),
  'sign-in': () => 'Sign in',
  'not-found': () => 'No such page',
};

function App() {
  const route = useRoute();
  const [user, setUser] = useState(api.credentials?.user ?? null);
  const [auth] = useLoad(() => api.authInfo(), []);
  const hasAuth = auth.state === 'ok' && auth.value.kind === 'bearer';
  useEffect(() => {
    document.title = `${TITLES[route.page](route)} · Stowage`;
  }, [route]);
  const signOut = () => {
    api.signOut();
    setUser(null);
    navigate(href.repositories());
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href.repositories()}>
          Stowage
        </a>
        <div class="who">
          {hasAuth &&
            (user ? (
              <>
                <span>
                  Signed in as <strong>{user}</strong>
                </span>
                <button type="button" class="small" onClick={signOut}>
                  Sign out
                </button>
              </>
            ) : (
              route.page !== 'sign-in' && (
                <>
                  <span class="muted">Anonymous</span>
                  <a class="button small" href={href.signIn(location.pathname + location.search)}>
                    Sign in
                  </a>
                </>
              )
            ))}
        </div>
      </header>
      <main id="main">
        <Page route={route} signedIn={user !== null} onSignedIn={() => setUser(api.credentials?.user ?? null)} />
      </main>
    </>
  );
}

// Links inside the console change the route without reloading the page.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest('a');
  if (!a || a.target || a.origin !== location.origin || !a.pathname.startsWith('/ui/')) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
});

render(<App />, document.getElementById('app')!);
