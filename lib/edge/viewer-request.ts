/**
 * The CloudFront Function (viewer request, JavaScript runtime 2.0) on every behaviour. It sets
 * three request headers, overwriting whatever a viewer sent under those names:
 *
 *   x-stowage-client-address  the viewer's IP as CloudFront saw it (audit lines, rate limits)
 *   x-stowage-public-host     the host name the client used (distribution or custom domain)
 *   x-stowage-challenge       `Bearer realm="https://<host>/token",service="<service>"` plus
 *                             `,scope="repository:<name>:<actions>"` when the path names a
 *                             repository (`registry:catalog:*` for the catalog)
 *
 * On the API behaviour (`rewriteRoutes`) it also rewrites a repository path into the API's fixed
 * route shape, `/v2/_r/<kind>/<ref>` with the name in x-stowage-repository
 * (src/shells/lambda/routed-name.ts): parsed from the right, as distribution's router does, so
 * the LAST `/manifests/`, `/blobs/`, `/blobs/uploads/`, `/tags/list` or `/referrers/` decides and
 * a name of any depth and with any component routes. Paths whose first segment starts with `_`
 * (`/v2/_catalog`, `/v2/_stowage/...`), `/v2/` and `/token` are left alone. The upload
 * behaviour's function does not rewrite: the upload service routes names itself.
 *
 * API Gateway's 401 gateway responses copy x-stowage-challenge into WWW-Authenticate: a gateway
 * response header can only be a literal or one request value, and the API cannot reference the
 * distribution's domain without a CloudFormation cycle. It also drops a viewer's x-api-key: only
 * the distribution's origin header may carry the API key.
 *
 * The source is plain ES5-style JavaScript (what the runtime documents), built as a string so
 * tests can run exactly what CloudFront runs.
 */
import { REPOSITORY_HEADER, ROUTED_PREFIX } from '../../src/shells/lambda/routed-name.js';
import { CHALLENGE_HEADER, CLIENT_ADDRESS_HEADER, PUBLIC_HOST_HEADER } from '../gateway-responses.js';

/** The OCI name grammar (distribution-spec), one component and a whole name. */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';

export function viewerRequestFunctionCode(options: { serviceName?: string; apiKeyHeader: string; rewriteRoutes?: boolean }): string {
  const service = options.serviceName === undefined ? 'null' : JSON.stringify(options.serviceName);
  return `var SERVICE = ${service};
var REWRITE = ${options.rewriteRoutes === true};
var NAME = /^${COMPONENT}(?:\\/${COMPONENT})*$/;
// Greedy (.+): the longest name, i.e. the last route word decides (distribution's router).
var ROUTE = /^\\/v2\\/(.+)\\/(manifests\\/[^\\/]+|blobs\\/uploads\\/[^\\/]*|blobs\\/[^\\/]+|tags\\/list|referrers\\/[^\\/]+)$/;
var HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

function scopeOf(method, uri, m) {
  if (uri === '/v2/_catalog') return 'registry:catalog:*';
  if (!m || m[1].length > 255 || !NAME.test(m[1])) return null;
  var actions = method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' ? 'delete' : 'pull,push';
  return 'repository:' + m[1] + ':' + actions;
}

function handler(event) {
  var request = event.request;
  var headers = request.headers;
  var host = headers.host && HOST.test(headers.host.value) ? headers.host.value.toLowerCase() : '';
  var challenge = 'Bearer realm="https://' + host + '/token",service="' + (SERVICE || host) + '"';
  var route = ROUTE.exec(request.uri);
  var scope = scopeOf(request.method, request.uri, route);
  if (scope) challenge += ',scope="' + scope + '"';
  delete headers[${JSON.stringify(REPOSITORY_HEADER)}];
  if (REWRITE && route && route[1].charAt(0) !== '_') {
    headers[${JSON.stringify(REPOSITORY_HEADER)}] = { value: route[1] };
    request.uri = ${JSON.stringify(ROUTED_PREFIX)} + route[2];
  }
  headers[${JSON.stringify(CLIENT_ADDRESS_HEADER)}] = { value: event.viewer.ip };
  headers[${JSON.stringify(PUBLIC_HOST_HEADER)}] = { value: host };
  headers[${JSON.stringify(CHALLENGE_HEADER)}] = { value: challenge };
  delete headers[${JSON.stringify(options.apiKeyHeader.toLowerCase())}];
  return request;
}
`;
}
