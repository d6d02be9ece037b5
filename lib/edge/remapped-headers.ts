/**
 * API Gateway renames some headers a Lambda returns: `WWW-Authenticate` arrives as
 * `x-amzn-Remapped-WWW-Authenticate`, and a HEAD's `Content-Length` as
 * `x-amzn-Remapped-Content-Length`. The front door's origin-response function puts them back.
 * Pure (no AWS, no I/O): the handler in origin-response.ts only unwraps the event.
 *
 * Only an allow-list is restored: the other headers AWS remaps (Date, Server, Connection, ...)
 * are either set by CloudFront itself or ones Lambda@Edge may not touch (a function that sets
 * Connection fails the response).
 */

/** CloudFront's header map: lower-case name -> list of {key, value}. */
export type CloudFrontHeaders = Record<string, { key?: string; value: string }[]>;

export const REMAPPED_PREFIX = 'x-amzn-remapped-';

interface Restorable {
  readonly canonical: string;
  /** Restore only on responses to HEAD (a GET's length is its body's, which CloudFront sets). */
  readonly headOnly: boolean;
  /**
   * Replace a header of the same name the response already has. API Gateway answers a HEAD with
   * its own Content-Length (that of the empty body), which the Lambda's value must replace; a
   * WWW-Authenticate API Gateway set itself (a gateway response) is kept.
   */
  readonly replaces: boolean;
}

const RESTORABLE: Record<string, Restorable> = {
  'www-authenticate': { canonical: 'WWW-Authenticate', headOnly: false, replaces: false },
  'content-length': { canonical: 'Content-Length', headOnly: true, replaces: true },
};

/**
 * Returns the headers with each allow-listed `x-amzn-remapped-<name>` moved back to `<name>`;
 * the remapped copy is dropped so clients never see both. Other remapped headers are left alone.
 */
export function restoreRemappedHeaders(method: string, headers: CloudFrontHeaders): CloudFrontHeaders {
  const out: CloudFrontHeaders = { ...headers };
  const head = method.toUpperCase() === 'HEAD';
  for (const [name, rule] of Object.entries(RESTORABLE)) {
    const remapped = out[REMAPPED_PREFIX + name];
    if (!remapped || (rule.headOnly && !head)) continue;
    delete out[REMAPPED_PREFIX + name];
    if (!rule.replaces && (out[name]?.length ?? 0) > 0) continue;
    out[name] = remapped.map((h) => ({ key: rule.canonical, value: h.value }));
  }
  return out;
}
