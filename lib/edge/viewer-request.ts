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
 * API Gateway's 401 gateway responses copy x-stowage-challenge into WWW-Authenticate: a gateway
 * response header can only be a literal or one request value, and the API cannot reference the
 * distribution's domain without a CloudFormation cycle. It also drops a viewer's x-api-key: only
 * the distribution's origin header may carry the API key.
 *
 * The source is plain ES5-style JavaScript (what the runtime documents), built as a string so
 * tests can run exactly what CloudFront runs.
 */
import { CHALLENGE_HEADER, CLIENT_ADDRESS_HEADER, PUBLIC_HOST_HEADER } from '../gateway-responses.js';

/** The OCI name grammar (distribution-spec), one component and a whole name. */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';

export function viewerRequestFunctionCode(options: { serviceName?: string; apiKeyHeader: string }): string {
  const service = options.serviceName === undefined ? 'null' : JSON.stringify(options.serviceName);
  return `var SERVICE = ${service};
var NAME = /^${COMPONENT}(?:\\/${COMPONENT})*$/;
var ROUTE = /^\\/v2\\/(.+)\\/(?:manifests\\/[^\\/]+|blobs\\/uploads\\/[^\\/]*|blobs\\/[^\\/]+|tags\\/list|referrers\\/[^\\/]+)$/;
var HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

function scopeOf(method, uri) {
  if (uri === '/v2/_catalog') return 'registry:catalog:*';
  var m = ROUTE.exec(uri);
  if (!m || m[1].length > 255 || !NAME.test(m[1])) return null;
  var actions = method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' ? 'delete' : 'pull,push';
  return 'repository:' + m[1] + ':' + actions;
}

function handler(event) {
  var request = event.request;
  var headers = request.headers;
  var host = headers.host && HOST.test(headers.host.value) ? headers.host.value.toLowerCase() : '';
  var challenge = 'Bearer realm="https://' + host + '/token",service="' + (SERVICE || host) + '"';
  var scope = scopeOf(request.method, request.uri);
  if (scope) challenge += ',scope="' + scope + '"';
  headers[${JSON.stringify(CLIENT_ADDRESS_HEADER)}] = { value: event.viewer.ip };
  headers[${JSON.stringify(PUBLIC_HOST_HEADER)}] = { value: host };
  headers[${JSON.stringify(CHALLENGE_HEADER)}] = { value: challenge };
  delete headers[${JSON.stringify(options.apiKeyHeader.toLowerCase())}];
  return request;
}
`;
}
