/**
 * The web console's static files (built by scripts/build-ui.mjs into dist/ui/) served by the
 * node:http shell at /ui/, outside /v2 and outside the registry: the console is a client of the
 * registry API like docker, so serving its files needs no token and decides nothing.
 *
 *   GET /            302 -> /ui/
 *   GET /ui          301 -> /ui/
 *   GET /ui/...      a built file, or index.html for any path without a file extension (the
 *                    console's own routes, e.g. /ui/r/team/app, so a reload or a shared link works)
 *
 * Every file is read once at start (the bundle is tens of KB): no path from a request ever
 * reaches the file system, so no traversal to guard. The headers: a restrictive CSP (scripts,
 * styles and connections to this origin only, no framing), nosniff, and caching by name:
 * content-hashed files under assets/ are immutable, index.html is revalidated each time.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RegistryResponse } from '../../core/messages.js';

/** Where `npm run build` puts the console: dist/ui/, next to dist/src/ (this file is dist/src/shells/http/). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../ui/', import.meta.url));

export const CONSOLE_PATH = '/ui/';

/** Also the CloudFront response headers policy's CSP (lib/console.ts): one definition. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Content type of a console file by its extension (also used by the stack's deployment). */
export function consoleContentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Cache-Control of a console file: hashed names never change, anything else is revalidated. */
export function consoleCacheControl(path: string): string {
  return /(^|\/)assets\//.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache';
}

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** A file's answer. Statuses here are the console's own, not registry errors (those have their table in core/errors.ts). */
const FOUND_FILE = 200;

interface ConsoleFile {
  body: Buffer;
  type: string;
  cache: string;
}

export interface ConsoleAssets {
  /** The console's answer for this request, or undefined when the path is not the console's. */
  respond(method: string, rawUrl: string): RegistryResponse | undefined;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

function text(status: number, body: string, extra: Record<string, string> = {}): RegistryResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS, ...extra }, body: `${body}\n` };
}

const redirect = (status: number, location: string): RegistryResponse => ({ status, headers: { location, 'cache-control': 'no-cache', 'content-length': '0' } });

/**
 * Loads the built console from `dir`. When it was never built (a checkout without `npm run
 * build`), /ui/ answers 503 saying how to build it rather than a bare 404.
 */
export async function loadConsoleAssets(dir: string = CONSOLE_DIR): Promise<ConsoleAssets> {
  const files = new Map<string, ConsoleFile>();
  try {
    for (const name of await filesUnder(dir)) {
      files.set(name, { body: await readFile(join(dir, name)), type: consoleContentType(name), cache: consoleCacheControl(name) });
    }
  } catch {
    // Not built: answered below.
  }
  const index = files.get('index.html');
  const serve = (f: ConsoleFile): RegistryResponse => ({
    status: FOUND_FILE,
    headers: { 'content-type': f.type, 'content-length': String(f.body.byteLength), 'cache-control': f.cache, ...SECURITY_HEADERS },
    body: f.body,
  });
  return {
    respond(method, rawUrl) {
      const q = rawUrl.indexOf('?');
      const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
      if (path === '/') return method === 'GET' || method === 'HEAD' ? redirect(302, CONSOLE_PATH) : undefined;
      if (path === '/ui') return redirect(301, CONSOLE_PATH);
      if (!path.startsWith(CONSOLE_PATH)) return undefined;
      if (method !== 'GET' && method !== 'HEAD') return text(405, 'the console is read with GET', { allow: 'GET, HEAD' });
      if (!index) return text(503, 'the web console is not built: run `npm run build` in the checkout');
      const name = path.slice(CONSOLE_PATH.length);
      const file = files.get(name === '' ? 'index.html' : name);
      if (file) return serve(file);
      // A console route (no extension in its last segment) gets the app; a missing asset a 404.
      const last = name.slice(name.lastIndexOf('/') + 1);
      return last.includes('.') && !name.startsWith('r/') ? text(404, `no such console file: ${name.slice(0, 200)}`) : serve(index);
    },
  };
}
