/**
 * Sign in with the registry's own users (`stowage user add`, htpasswd) or Cognito's: the same
 * Basic credentials docker sends to the token endpoint. Kept in this tab's sessionStorage only.
 */
import { useState } from 'preact/hooks';
import { ApiError, type RegistryClient } from '../api.js';
import { Problem } from '../components.js';
import { href, navigate } from '../router.js';

export function SignInPage({ api, back, onSignedIn }: { api: RegistryClient; back?: string; onSignedIn: () => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.signIn({ user, password });
      onSignedIn();
      // Only a path of this console: never a URL that leaves it.
      navigate(back?.startsWith('/ui/') ? back : href.repositories());
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? new Error('Wrong user name or password.') : err);
      setBusy(false);
    }
  };
  return (
    <section class="narrow">
      <h1>Sign in</h1>
      <p class="muted">With your registry user, as for docker login.</p>
      <form onSubmit={submit}>
        <label for="user">User name</label>
        <input id="user" name="username" autocomplete="username" required value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        {error !== undefined && <Problem error={error} />}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}
