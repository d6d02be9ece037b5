/**
 * The console's only way to the registry: its HTTP API, with docker's token flow.
 *
 *   GET /v2/                      200: no auth (every call goes without a token)
 *                                 401 + WWW-Authenticate: Bearer realm="R",service="S"
 *   GET R?service=S&scope=...     Basic credentials of the signed-in user, or none (anonymous)
 *                                 -> {"token"}; the token's `access` claim says what was granted
 *   GET /v2/...                   Authorization: Bearer <token>
 *
 * What the token leaves out, the console does not offer (the delete controls): it can never see
 * or do more than the user may, because the registry checks every call anyway.
 */

export interface Credentials {
  user: string;
  password: string;
}

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** A registry answer that was not a success, with the spec's error code when there was one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

type AuthInfo = { kind: 'none' } | { kind: 'bearer'; realm: string; service: string };

interface Token {
  token: string;
  /** Granted entries; undefined when the token carries no readable `access` claim (then the server decides). */
  access: AccessEntry[] | undefined;
  expiresAt: number;
}

/** Parses `Bearer realm="...",service="...",scope="..."`. */
export function parseChallenge(header: string | null): Record<string, string> | undefined {
  if (!header || !/^Bearer\s/i.test(header)) return undefined;
  const out: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!.toLowerCase()] = m[2]!;
  return out;
}

/** The `access` claim of a JWT, read without verifying it (the registry verifies; this only shapes the page). */
export function accessOf(token: string): AccessEntry[] | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const json = JSON.parse(
      atob(
        part
          .replace(/-/g, '+')
          .replace(/_/g, '/')
          .padEnd(Math.ceil(part.length / 4) * 4, '='),
      ),
    );
    return Array.isArray(json.access) ? (json.access as AccessEntry[]) : undefined;
  } catch {
    return undefined;
  }
}

export const catalogScope = 'registry:catalog:*';
export const repoScope = (name: string, actions = 'pull,delete') => `repository:${name}:${actions}`;

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const SESSION_KEY = 'stowage.credentials';

function base64(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
}

export class RegistryClient {
  private auth: Promise<AuthInfo> | undefined;
  private tokens = new Map<string, Promise<Token>>();
  credentials: Credentials | null;

  constructor(private readonly storage: Storage | undefined = globalThis.sessionStorage) {
    // Kept for this tab only (sessionStorage), never in localStorage or a cookie.
    this.credentials = null;
    try {
      const saved = JSON.parse(storage?.getItem(SESSION_KEY) ?? 'null') as Credentials | null;
      if (saved && typeof saved.user === 'string' && typeof saved.password === 'string') this.credentials = saved;
    } catch {
      storage?.removeItem(SESSION_KEY); // not ours, or damaged: start signed out
    }
  }

  /** Whether the registry asks for tokens at all (GET /v2/ answered 401 with a Bearer challenge). */
  authInfo(): Promise<AuthInfo> {
    this.auth ??= fetch('/v2/').then((res) => {
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      if (res.status === 401 && challenge?.realm) {
        // The console reaches only its own origin (CSP connect-src 'self'): a realm on another
        // host name for this server (127.0.0.1 vs localhost) is asked at its path here.
        const realm = new URL(challenge.realm, location.href);
        return { kind: 'bearer', realm: realm.origin === location.origin ? realm.href : realm.pathname + realm.search, service: challenge.service ?? '' };
      }
      if (res.ok) return { kind: 'none' };
      throw new ApiError(res.status, undefined, `the registry answered GET /v2/ with ${res.status}`);
    });
    this.auth.catch(() => (this.auth = undefined));
    return this.auth;
  }

  /** Signs in: asks a token with these credentials; throws ApiError 401 when they are wrong. */
  async signIn(credentials: Credentials): Promise<void> {
    const auth = await this.authInfo();
    if (auth.kind === 'none') throw new ApiError(400, undefined, 'this registry has no sign-in: everyone may do everything');
    await this.fetchToken(auth, [catalogScope], credentials);
    this.credentials = credentials;
    this.tokens.clear();
    this.storage?.setItem(SESSION_KEY, JSON.stringify(credentials));
  }

  signOut(): void {
    this.credentials = null;
    this.tokens.clear();
    this.storage?.removeItem(SESSION_KEY);
  }

  private async fetchToken(auth: Extract<AuthInfo, { kind: 'bearer' }>, scopes: string[], credentials: Credentials | null): Promise<Token> {
    const url = new URL(auth.realm, location.href);
    url.searchParams.set('service', auth.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = credentials ? { authorization: `Basic ${base64(`${credentials.user}:${credentials.password}`)}` } : {};
    const res = await fetch(url.pathname + url.search, { headers });
    if (!res.ok) throw await errorOf(res, 'sign-in');
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token ?? '';
    return { token, access: accessOf(token), expiresAt: Date.now() + Math.max(30, (body.expires_in ?? 60) - 20) * 1000 };
  }

  /** A token for these scopes (cached until shortly before it expires); null when the registry has no auth. */
  private async token(scopes: string[]): Promise<Token | null> {
    const auth = await this.authInfo();
    if (auth.kind === 'none') return null;
    const key = [...scopes].sort().join(' ');
    const cached = this.tokens.get(key);
    if (cached) {
      const t = await cached.catch(() => undefined);
      if (t && t.expiresAt > Date.now()) return t;
    }
    const fresh = this.fetchToken(auth, scopes, this.credentials);
    this.tokens.set(key, fresh);
    fresh.catch(() => this.tokens.delete(key));
    return fresh;
  }

  /**
   * Whether the user holds `action` on a resource: true without auth, and when the token's
   * grant cannot be read (the registry then decides at the call).
   */
  async may(scope: string, action: string): Promise<boolean> {
    const t = await this.token([scope]).catch(() => undefined);
    if (t === null) return true;
    if (!t) return false;
    if (!t.access) return true;
    const [type, ...rest] = scope.split(':');
    const name = rest.slice(0, -1).join(':');
    return t.access.some((e) => e.type === type && e.name === name && e.actions.includes(action));
  }

  /** A registry call with a token for `scopes`; throws ApiError unless it answers 2xx. */
  async call(path: string, scopes: string[], init: RequestInit = {}): Promise<Response> {
    const t = await this.token(scopes);
    const headers = new Headers(init.headers);
    if (t) headers.set('authorization', `Bearer ${t.token}`);
    const res = await fetch(path, { ...init, headers });
    if (!res.ok) throw await errorOf(res, `${init.method ?? 'GET'} ${path}`);
    return res;
  }

  async json<T>(path: string, scopes: string[]): Promise<{ body: T; res: Response }> {
    const res = await this.call(path, scopes, { headers: { accept: 'application/json' } });
    return { body: (await res.json()) as T, res };
  }

  /** A manifest by tag or digest: its parsed body, raw text, digest and media type. */
  async manifest(name: string, reference: string): Promise<Manifest> {
    const res = await this.call(`/v2/${name}/manifests/${reference}`, [repoScope(name, 'pull')], { headers: { accept: MANIFEST_TYPES } });
    const raw = await res.text();
    const body = JSON.parse(raw) as ManifestBody;
    return {
      digest: res.headers.get('docker-content-digest') ?? reference,
      mediaType: body.mediaType ?? res.headers.get('content-type') ?? '',
      size: new TextEncoder().encode(raw).byteLength,
      raw,
      body,
    };
  }

  /** A blob's JSON (an image config); undefined when it cannot be read from here. */
  async blobJson<T>(name: string, digest: string): Promise<T | undefined> {
    try {
      const res = await this.call(`/v2/${name}/blobs/${digest}`, [repoScope(name, 'pull')]);
      return (await res.json()) as T;
    } catch {
      return undefined;
    }
  }
}

async function errorOf(res: Response, what: string): Promise<ApiError> {
  let code: string | undefined;
  let message = `${what}: ${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { errors?: { code?: string; message?: string }[] };
    const first = body.errors?.[0];
    if (first) {
      code = first.code;
      message = first.message || first.code || message;
    }
  } catch {
    // Not a JSON error body: the status says it.
  }
  return new ApiError(res.status, code, message);
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: Platform;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

export interface ManifestBody {
  schemaVersion?: number;
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface Manifest {
  digest: string;
  mediaType: string;
  size: number;
  raw: string;
  body: ManifestBody;
}

export interface ImageConfig {
  created?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  config?: { Env?: string[]; Labels?: Record<string, string>; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; User?: string };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
}

export const isIndex = (m: Manifest) => Array.isArray(m.body.manifests);

export const platformText = (p: Platform | undefined) => (p ? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}` : 'unknown platform');

/**
 * An admin route (the lifecycle issue's) this server does not have: a 404 (its body says
 * NAME_UNKNOWN, the spec's code for a path no route serves, so only the status tells).
 */
export const isRouteMissing = (e: unknown) => e instanceof ApiError && e.status === 404;
