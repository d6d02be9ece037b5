import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { Registry } from './registry.js';

/** A response whose body has already been read. */
export interface Res {
  method: string;
  /** The URL that produced this response (after followed redirects). */
  url: string;
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
  json<T = unknown>(): T;
}

export interface ReqOptions {
  headers?: Record<string, string>;
  body?: Uint8Array | string | ReadableStream<Uint8Array>;
  /**
   * Follow 301/302/303/307/308 redirects (by hand, at most 5). The spec lets a registry answer
   * any request with a redirect and counts the status after redirects; Stowage's embedded
   * server streams blobs itself (200), but a redirect is allowed.
   */
  follow?: boolean;
}

function absolute(reg: Registry, pathOrUrl: string): string {
  return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : reg.url + pathOrUrl;
}

function makeRes(method: string, url: string, status: number, headers: Headers, body: Buffer): Res {
  const text = body.toString('utf8');
  return {
    method,
    url,
    status,
    headers,
    body,
    text,
    json<T>() {
      try {
        return JSON.parse(text) as T;
      } catch {
        assert.fail(`${method} ${url} -> ${status}: expected a JSON body, got ${JSON.stringify(text.slice(0, 300))}`);
      }
    },
  };
}

/** One HTTP request through global fetch, redirect: 'manual'; the body is read eagerly. */
export async function req(reg: Registry, method: string, pathOrUrl: string, opts: ReqOptions = {}): Promise<Res> {
  let url = absolute(reg, pathOrUrl);
  // Headers only the registry sends (a redirect target on another host, such as S3, does not):
  // after a redirect to another host they are checked on the registry's own redirect response.
  // A redirect on the registry's own host (the serverless stack's blob content behaviour) is
  // still the registry: its final answer must carry them itself.
  const registryHeaders = new Headers();
  const registryOrigin = new URL(url).origin;
  for (let hop = 0; ; hop++) {
    const init: RequestInit & { duplex?: 'half' } = {
      method,
      headers: opts.headers,
      redirect: 'manual',
    };
    if (opts.body !== undefined) {
      init.body = opts.body as BodyInit;
      if (opts.body instanceof ReadableStream) init.duplex = 'half';
    }
    let r: Response;
    let body: Buffer;
    try {
      r = await fetch(url, init);
      body = Buffer.from(await r.arrayBuffer());
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      throw new Error(`${method} ${url}: the HTTP exchange failed (${String(err)}${cause ? '; cause: ' + String(cause) : ''})`, { cause: err });
    }
    const loc = r.headers.get('location');
    if (opts.follow && [301, 302, 303, 307, 308].includes(r.status) && loc && hop < 5) {
      const next = new URL(loc, url);
      if (next.origin !== registryOrigin) {
        for (const name of ['docker-content-digest', 'docker-distribution-api-version', 'accept-ranges']) {
          const value = r.headers.get(name);
          if (value !== null && !registryHeaders.has(name)) registryHeaders.set(name, value);
        }
      }
      url = next.toString();
      continue;
    }
    const headers = new Headers(r.headers);
    registryHeaders.forEach((value, name) => {
      if (!headers.has(name)) headers.set(name, value);
    });
    return makeRes(method, url, r.status, headers, body);
  }
}

/**
 * A request sent with node:http exactly as written: the path is not normalised
 * (fetch would resolve `..` and re-encode some characters before sending).
 */
export function raw(reg: Registry, method: string, path: string, opts: { headers?: Record<string, string>; body?: Uint8Array | string } = {}): Promise<Res> {
  const base = new URL(reg.url);
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers = new Headers();
          const rh = res.rawHeaders;
          for (let i = 0; i + 1 < rh.length; i += 2) headers.append(rh[i]!, rh[i + 1]!);
          resolve(makeRes(method, reg.url + path, res.statusCode ?? 0, headers, Buffer.concat(chunks)));
        });
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    if (opts.body !== undefined) r.end(opts.body);
    else r.end();
  });
}

/** "GET /v2/x -> 404 {body...}" for failure messages. */
export function describeRes(res: Res): string {
  const body = res.text.length > 400 ? res.text.slice(0, 400) + '…' : res.text;
  return `${res.method} ${res.url} -> ${res.status}${body && res.method !== 'HEAD' ? ' ' + body : ''}`;
}

/** Asserts the status code; `why` should say what the spec (or Stowage's documented decision) expects. */
export function expectStatus(res: Res, expected: number | number[], why: string): void {
  const list = Array.isArray(expected) ? expected : [expected];
  if (!list.includes(res.status)) {
    assert.fail(`${why}\n  expected status ${list.join(' or ')}, got ${res.status}\n  ${describeRes(res)}`);
  }
}

export function expectHeader(res: Res, name: string, expected: string | RegExp, why: string): string {
  const got = res.headers.get(name);
  if (got === null) assert.fail(`${why}\n  header ${name} missing\n  ${describeRes(res)}`);
  if (typeof expected === 'string' ? got !== expected : !expected.test(got)) {
    assert.fail(`${why}\n  expected header ${name}: ${String(expected)}\n  got ${name}: ${got}\n  ${describeRes(res)}`);
  }
  return got;
}

export function requireHeader(res: Res, name: string, why: string): string {
  const got = res.headers.get(name);
  if (got === null || got === '') assert.fail(`${why}\n  header ${name} missing\n  ${describeRes(res)}`);
  return got;
}

/** Stowage decision: every response, errors included, carries Docker-Distribution-API-Version: registry/2.0. */
export function expectApiVersion(res: Res): void {
  expectHeader(res, 'docker-distribution-api-version', 'registry/2.0', 'Stowage sends Docker-Distribution-API-Version: registry/2.0 on every response');
}

export interface ErrorBody {
  errors: { code: string; message?: unknown; detail?: unknown }[];
}

/**
 * Asserts an error response: the status, and (for non-HEAD requests) a JSON body
 * {"errors":[{"code", "message", "detail"}]} with Content-Type application/json
 * containing one of the given codes (spec "Error Codes").
 */
export function expectError(res: Res, status: number | number[], codes: string | string[], why: string): void {
  const codeList = Array.isArray(codes) ? codes : [codes];
  expectStatus(res, status, `${why} (expected error ${codeList.join(' or ')})`);
  expectApiVersion(res);
  if (res.method === 'HEAD') return;
  const ct = res.headers.get('content-type') ?? '';
  assert.equal(ct.split(';')[0]!.trim().toLowerCase(), 'application/json', `${why}: error bodies are JSON with Content-Type application/json\n  ${describeRes(res)}`);
  let body: ErrorBody;
  try {
    body = JSON.parse(res.text) as ErrorBody;
  } catch {
    assert.fail(`${why}: error body must be JSON {"errors":[...]}\n  ${describeRes(res)}`);
  }
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `${why}: error body must have a non-empty "errors" array\n  ${describeRes(res)}`);
  for (const e of body.errors) {
    assert.match(String(e.code), /^[A-Z_]+$/, `spec: an error "code" contains only upper-case letters and underscores\n  ${describeRes(res)}`);
  }
  const got = body.errors.map((e) => e.code);
  assert.ok(
    got.some((c) => codeList.includes(c)),
    `${why}\n  expected error code ${codeList.join(' or ')}, got ${got.join(', ')}\n  ${describeRes(res)}`,
  );
}

/** Parses an RFC 5988/8288 Link header with rel="next"; returns the target resolved against `base`, or null. */
export function nextLink(res: Res): string | null {
  const link = res.headers.get('link');
  if (link === null) return null;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (!m) continue;
    if (/(^|;)\s*rel\s*=\s*"?next"?\s*(;|$)/i.test(m[2]!)) return m[1]!;
  }
  assert.fail(`Link header must be RFC 5988 form '<url>; rel="next"', got: ${link}`);
}

/** Resolves a (possibly relative) Location header against the request URL. */
export function locationOf(res: Res, why: string): string {
  const loc = requireHeader(res, 'location', why);
  return new URL(loc, res.url).toString();
}

/** Adds query parameters to a URL, keeping the ones it already has. */
export function withQuery(url: string, params: Record<string, string | string[]>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) {
    for (const one of Array.isArray(v) ? v : [v]) u.searchParams.append(k, one);
  }
  return u.toString();
}
