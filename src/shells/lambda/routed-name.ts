/**
 * The fixed route shape of the serverless stack. API Gateway cannot route a name of any depth
 * before a fixed suffix (its greedy variable must come last, and it never backtracks out of a
 * literal resource), so the front door's viewer-request CloudFront Function
 * (lib/edge/viewer-request.ts) parses a repository path from the right, as distribution's router
 * does, and rewrites it:
 *
 *   /v2/<name>/manifests/<reference>   ->  /v2/_r/manifests/<reference>    + x-stowage-repository: <name>
 *   /v2/<name>/blobs/uploads/[<id>]    ->  /v2/_r/blobs/uploads/[<id>]
 *   /v2/<name>/blobs/<digest>          ->  /v2/_r/blobs/<digest>
 *   /v2/<name>/tags/list               ->  /v2/_r/tags/list
 *   /v2/<name>/referrers/<digest>      ->  /v2/_r/referrers/<digest>
 *
 * The name travels verbatim (still percent-encoded, as the client sent it) in a request header,
 * so a name of any depth and with any component (`org/tags`, `x/manifests`, `a//b`) reaches the
 * core, which validates it as on embedded. `_r` can never be a repository (names start with a
 * lower-case letter or digit), and the function never rewrites a path whose first segment starts
 * with `_` (`/v2/_catalog`, `/v2/_stowage/...`). The function deletes any x-stowage-repository a
 * viewer sends, and only the distribution can call the API (API key), so the header is trusted.
 *
 * publicPath() turns the event back into the path the client asked for, before Registry.handle
 * (Location and Link headers are built from it) and wherever a shell reads the path.
 */

/** First segments of the rewritten paths (what the API's fixed resources start with). */
export const ROUTED_PREFIX = '/v2/_r/';
/** The request header carrying the repository name of a rewritten path. */
export const REPOSITORY_HEADER = 'x-stowage-repository';

type HeaderMaps = {
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
};

function repositoryHeader(event: HeaderMaps): string | undefined {
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) if (name.toLowerCase() === REPOSITORY_HEADER && values?.length) return values[0];
  for (const [name, value] of Object.entries(event.headers ?? {})) if (name.toLowerCase() === REPOSITORY_HEADER && value !== undefined) return value;
  return undefined;
}

/** The public path of a proxy (or REQUEST authorizer) event: a rewritten path with its name put back. */
export function publicPath(event: HeaderMaps & { path?: string | null }): string {
  const path = String(event.path ?? '');
  if (!path.startsWith(ROUTED_PREFIX)) return path;
  const name = repositoryHeader(event);
  return name === undefined ? path : `/v2/${name}/${path.slice(ROUTED_PREFIX.length)}`;
}
