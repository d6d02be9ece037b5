/**
 * Header lists as multi-maps that keep the client's spelling and order, and what API Gateway
 * (REST API, Lambda proxy integration) does to headers on the way in and out.
 *
 * The tables are API Gateway's own ("Amazon API Gateway important notes for REST APIs", the
 * `lambda` column of its header table), with two observed corrections that localstack's
 * AWS-validated parity tests record for AWS_PROXY integrations and that DESIGN.md relies on:
 * a Lambda's `Content-Length` comes back as `x-amzn-Remapped-Content-Length`, and the event a
 * Lambda receives carries no `Content-Length` (nor `Connection`).
 *
 *   to the Lambda (event headers):  dropped  Connection, Content-Length, Content-MD5, Expect,
 *                                            Max-Forwards, Proxy-Authenticate, Server, TE,
 *                                            Trailer, Upgrade, WWW-Authenticate
 *   from the Lambda (response):     renamed  Authorization, Connection, Content-Length,
 *                                   to x-amzn-Remapped-<name>: Content-MD5, Date,
 *                                            Max-Forwards, Server, User-Agent, WWW-Authenticate
 *                                   dropped  Expect, Host, Proxy-Authenticate, TE,
 *                                            Transfer-Encoding, Trailer, Upgrade, Via, Keep-Alive
 */

/** [name, value] pairs in arrival order, names as sent. */
export type HeaderList = [string, string][];

export function fromRawHeaders(raw: readonly string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] as string, raw[i + 1] as string]);
  return out;
}

/** Every value of a header (case-insensitive). */
export function headerValues(headers: HeaderList, name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** The header's values joined with ", " (as node does), or undefined. */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  const values = headerValues(headers, name);
  return values.length > 0 ? values.join(', ') : undefined;
}

export function withoutHeaders(headers: HeaderList, names: readonly string[]): HeaderList {
  const drop = new Set(names.map((n) => n.toLowerCase()));
  return headers.filter(([n]) => !drop.has(n.toLowerCase()));
}

/** Replaces every value of `name` with one value. */
export function setHeader(headers: HeaderList, name: string, value: string): HeaderList {
  return [...withoutHeaders(headers, [name]), [name, value]];
}

/** Headers as node's `res.writeHead` takes them (repeated names as arrays). */
export function toOutgoing(headers: HeaderList): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const spelled = new Map<string, string>();
  for (const [name, value] of headers) {
    const key = spelled.get(name.toLowerCase()) ?? name;
    spelled.set(name.toLowerCase(), key);
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/** Hop-by-hop headers (RFC 9110 section 7.6.1), which no proxy forwards. */
export const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/** Request headers API Gateway does not put into a Lambda proxy event. */
export const DROPPED_FROM_LAMBDA_EVENT = [
  'connection',
  'content-length',
  'content-md5',
  'expect',
  'max-forwards',
  'proxy-authenticate',
  'server',
  'te',
  'trailer',
  'upgrade',
  'www-authenticate',
];

/** Lambda response headers API Gateway renames to `x-amzn-Remapped-<name>`. */
export const REMAPPED_FROM_LAMBDA = ['authorization', 'connection', 'content-length', 'content-md5', 'date', 'max-forwards', 'server', 'user-agent', 'www-authenticate'];

/** Lambda response headers API Gateway drops. */
export const DROPPED_FROM_LAMBDA = ['expect', 'host', 'proxy-authenticate', 'te', 'transfer-encoding', 'trailer', 'upgrade', 'via', 'keep-alive'];

/** API Gateway spells these two as CloudFront does (`Authorization`, `User-Agent`) in events. */
const CAPITALIZED_IN_EVENTS = new Map([
  ['authorization', 'Authorization'],
  ['user-agent', 'User-Agent'],
]);

/** The request headers a Lambda proxy event carries. */
export function lambdaEventHeaders(headers: HeaderList): HeaderList {
  return withoutHeaders(headers, DROPPED_FROM_LAMBDA_EVENT).map(([n, v]) => [CAPITALIZED_IN_EVENTS.get(n.toLowerCase()) ?? n, v]);
}

/** A Lambda's response headers after API Gateway: renamed and dropped per the tables above. */
export function remapLambdaResponseHeaders(headers: HeaderList): HeaderList {
  const remapped = new Set(REMAPPED_FROM_LAMBDA);
  const dropped = new Set(DROPPED_FROM_LAMBDA);
  const out: HeaderList = [];
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (dropped.has(lower)) continue;
    out.push(remapped.has(lower) ? [`x-amzn-Remapped-${name}`, value] : [name, value]);
  }
  return out;
}
