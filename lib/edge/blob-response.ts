/**
 * The CloudFront Function (viewer response, JavaScript runtime 2.0) on the blob content
 * behaviour: the response a client finally reads after a blob GET's redirect comes from S3,
 * which cannot send Docker-Content-Digest (the spec requires it; clients such as containerd
 * verify it). The redirect's presigned URL carries the digest in a signed query parameter
 * (`docker-content-digest`, src/adapters/aws/s3-blob-store.ts: changing it breaks S3's signature
 * check, so it names the digest the registry chose), which this function copies into the
 * header; it also sets the registry's Content-Type, Cache-Control and API version header, as
 * the embedded server answers a blob GET. Content-Length, Content-Range, Accept-Ranges and ETag come from S3.
 * CloudFront runs viewer-response functions only for origin answers below 400, so S3's errors
 * (an expired or altered URL: 403) reach the client as S3 wrote them.
 *
 * Plain ES5-style source built as a string, so tests run exactly what CloudFront runs.
 */
import { DIGEST_PARAMETER } from '../../src/adapters/aws/s3-blob-store.js';
import { DIGEST_ALGORITHMS } from '../../src/core/digest.js';
import { API_VERSION_HEADER } from '../../src/core/messages.js';

export function blobResponseFunctionCode(): string {
  const [versionName, versionValue] = Object.entries(API_VERSION_HEADER)[0] as [string, string];
  const digest = Object.entries(DIGEST_ALGORITHMS)
    .map(([algorithm, hexLength]) => `${algorithm}:[0-9a-f]{${hexLength}}`)
    .join('|');
  return `var DIGEST = /^(?:${digest})$/;

function handler(event) {
  var response = event.response;
  var headers = response.headers;
  var param = event.request.querystring[${JSON.stringify(DIGEST_PARAMETER)}];
  if (param && DIGEST.test(param.value)) headers['docker-content-digest'] = { value: param.value };
  headers['content-type'] = { value: 'application/octet-stream' };
  headers['accept-ranges'] = { value: 'bytes' };
  headers[${JSON.stringify(versionName.toLowerCase())}] = { value: ${JSON.stringify(versionValue)} };
  // As the embedded server says of a blob: its content never changes.
  headers['cache-control'] = { value: 'max-age=31536000' };
  return response;
}
`;
}
