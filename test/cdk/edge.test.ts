/** The two pieces of code that run at CloudFront: the viewer-request Function and the origin-response restore. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restoreRemappedHeaders, type CloudFrontHeaders } from '../../lib/edge/remapped-headers.js';
import { handler as originResponse } from '../../lib/edge/origin-response.js';
import { blobResponseFunctionCode } from '../../lib/edge/blob-response.js';
import { viewerRequestFunctionCode } from '../../lib/edge/viewer-request.js';
import type { CloudFrontResponseEvent } from 'aws-lambda';

// ---- origin response: put back what API Gateway renamed ----

test('WWW-Authenticate comes back under its own name on any method; the renamed copy goes', () => {
  const out = restoreRemappedHeaders('GET', {
    'x-amzn-remapped-www-authenticate': [{ key: 'x-amzn-Remapped-WWW-Authenticate', value: 'Bearer realm="https://r.example/token"' }],
    'content-type': [{ key: 'Content-Type', value: 'application/json' }],
  });
  assert.deepEqual(out['www-authenticate'], [{ key: 'WWW-Authenticate', value: 'Bearer realm="https://r.example/token"' }]);
  assert.equal(out['x-amzn-remapped-www-authenticate'], undefined);
  assert.deepEqual(out['content-type'], [{ key: 'Content-Type', value: 'application/json' }]);
});

test('a WWW-Authenticate the gateway set itself wins over a renamed one', () => {
  const out = restoreRemappedHeaders('GET', {
    'www-authenticate': [{ key: 'WWW-Authenticate', value: 'gateway' }],
    'x-amzn-remapped-www-authenticate': [{ value: 'lambda' }],
  });
  assert.deepEqual(out['www-authenticate'], [{ key: 'WWW-Authenticate', value: 'gateway' }]);
  assert.equal(out['x-amzn-remapped-www-authenticate'], undefined);
});

test("Content-Length is restored on HEAD (replacing the empty body's), never on GET", () => {
  const headers: CloudFrontHeaders = {
    'content-length': [{ key: 'Content-Length', value: '0' }],
    'x-amzn-remapped-content-length': [{ key: 'x-amzn-Remapped-Content-Length', value: '7143' }],
  };
  assert.deepEqual(restoreRemappedHeaders('HEAD', headers)['content-length'], [{ key: 'Content-Length', value: '7143' }]);
  assert.equal(restoreRemappedHeaders('HEAD', headers)['x-amzn-remapped-content-length'], undefined);
  const get = restoreRemappedHeaders('GET', headers);
  assert.deepEqual(get['content-length'], [{ key: 'Content-Length', value: '0' }]);
  assert.ok(get['x-amzn-remapped-content-length'], 'left alone on GET');
});

test('other renamed headers (Date, Server, Connection) are left alone: Lambda@Edge may not set some of them', () => {
  const headers: CloudFrontHeaders = { 'x-amzn-remapped-connection': [{ value: 'close' }], 'x-amzn-remapped-date': [{ value: 'x' }] };
  assert.deepEqual(restoreRemappedHeaders('HEAD', headers), headers);
  assert.equal(restoreRemappedHeaders('HEAD', headers).connection, undefined);
});

test('the Lambda@Edge handler applies the restore to the response of the event', async () => {
  const event = {
    Records: [
      {
        cf: {
          config: { distributionDomainName: 'd.cloudfront.net', distributionId: 'D', eventType: 'origin-response', requestId: 'r' },
          request: { clientIp: '203.0.113.1', headers: {}, method: 'HEAD', querystring: '', uri: '/v2/a/manifests/latest' },
          response: { status: '200', statusDescription: 'OK', headers: { 'x-amzn-remapped-content-length': [{ value: '42' }] } },
        },
      },
    ],
  } as unknown as CloudFrontResponseEvent;
  const res = await originResponse(event);
  assert.deepEqual(res?.headers?.['content-length'], [{ key: 'Content-Length', value: '42' }]);
});

// ---- viewer request: client address, public host, challenge ----

interface CfRequest {
  method: string;
  uri: string;
  headers: Record<string, { value: string }>;
}
function runViewerRequest(code: string, request: CfRequest, ip = '198.51.100.7'): CfRequest {
  // What CloudFront runs: the source string, its `handler`, no module system.
  const handler = new Function(`${code}\nreturn handler;`)() as (e: unknown) => CfRequest;
  return handler({ version: '1.0', context: { eventType: 'viewer-request' }, viewer: { ip }, request: { querystring: {}, cookies: {}, ...request } });
}
const code = viewerRequestFunctionCode({ apiKeyHeader: 'x-api-key' });
const req = (method: string, uri: string, extra: Record<string, { value: string }> = {}): CfRequest => ({
  method,
  uri,
  headers: { host: { value: 'd111.cloudfront.net' }, ...extra },
});

test("challenge names the public host's /token and, where the path names a repository, the scope", () => {
  assert.equal(runViewerRequest(code, req('GET', '/v2/')).headers['x-stowage-challenge']?.value, 'Bearer realm="https://d111.cloudfront.net/token",service="d111.cloudfront.net"');
  assert.equal(
    runViewerRequest(code, req('GET', '/v2/team/app/manifests/latest')).headers['x-stowage-challenge']?.value,
    'Bearer realm="https://d111.cloudfront.net/token",service="d111.cloudfront.net",scope="repository:team/app:pull"',
  );
  const scope = (method: string, uri: string) => /scope="([^"]*)"/.exec(runViewerRequest(code, req(method, uri)).headers['x-stowage-challenge']?.value ?? '')?.[1];
  assert.equal(scope('HEAD', '/v2/a/blobs/sha256:abc'), 'repository:a:pull');
  assert.equal(scope('POST', '/v2/a/b/blobs/uploads/'), 'repository:a/b:pull,push');
  assert.equal(scope('PATCH', '/v2/a/blobs/uploads/3f2a'), 'repository:a:pull,push');
  assert.equal(scope('PUT', '/v2/a/manifests/v1'), 'repository:a:pull,push');
  assert.equal(scope('DELETE', '/v2/a/manifests/sha256:abc'), 'repository:a:delete');
  assert.equal(scope('GET', '/v2/a/tags/list'), 'repository:a:pull');
  assert.equal(scope('GET', '/v2/a/referrers/sha256:abc'), 'repository:a:pull');
  assert.equal(scope('GET', '/v2/_catalog'), 'registry:catalog:*');
  // Nothing a client controls can break out of the quoted value.
  assert.equal(scope('GET', '/v2/a"b/manifests/x'), undefined);
  assert.equal(scope('GET', '/v2/A/manifests/x'), undefined);
  assert.equal(scope('GET', '/v2/a/unknown'), undefined);
});

test('route rewrite: the LAST route word decides; the name goes to x-stowage-repository, the path to /v2/_r/<kind>/<ref>', () => {
  const rewriting = viewerRequestFunctionCode({ apiKeyHeader: 'x-api-key', rewriteRoutes: true });
  const run = (method: string, uri: string, extra: Record<string, { value: string }> = {}) => {
    const out = runViewerRequest(rewriting, req(method, uri, extra));
    return [out.uri, out.headers['x-stowage-repository']?.value];
  };
  const twelve = Array.from({ length: 12 }, (_, i) => `c${i}`).join('/');
  assert.deepEqual(run('GET', '/v2/org/tags/tags/list'), ['/v2/_r/tags/list', 'org/tags']);
  assert.deepEqual(run('GET', '/v2/team/blobs/app/manifests/latest'), ['/v2/_r/manifests/latest', 'team/blobs/app']);
  assert.deepEqual(run('HEAD', '/v2/a/referrers/b/blobs/sha256:abc'), ['/v2/_r/blobs/sha256:abc', 'a/referrers/b']);
  assert.deepEqual(run('POST', '/v2/x/manifests/blobs/uploads/'), ['/v2/_r/blobs/uploads/', 'x/manifests']);
  assert.deepEqual(run('PATCH', '/v2/x/blobs/uploads/blobs/uploads/id-1'), ['/v2/_r/blobs/uploads/id-1', 'x/blobs/uploads']);
  assert.deepEqual(run('GET', '/v2/a/manifests/x/referrers/sha256:abc'), ['/v2/_r/referrers/sha256:abc', 'a/manifests/x']);
  assert.deepEqual(run('GET', `/v2/${twelve}/manifests/v1`), ['/v2/_r/manifests/v1', twelve]);
  // Invalid names are rewritten too: the core answers them (400 NAME_INVALID), as on embedded.
  assert.deepEqual(run('GET', '/v2/a//b/tags/list'), ['/v2/_r/tags/list', 'a//b']);
  assert.deepEqual(run('GET', '/v2/A/tags/list'), ['/v2/_r/tags/list', 'A']);
  // Never rewritten: the ping, the catalog, `_`-prefixed admin paths, the token endpoint, non-routes.
  for (const uri of ['/v2/', '/v2/_catalog', '/v2/_stowage/gc/manifests/x', '/v2/_r/manifests/x', '/token', '/v2/a/unknown'])
    assert.deepEqual(run('GET', uri), [uri, undefined], uri);
  // A viewer cannot choose the repository: its header is dropped (and replaced when rewriting).
  assert.deepEqual(run('GET', '/v2/_r/manifests/x', { 'x-stowage-repository': { value: 'victim' } }), ['/v2/_r/manifests/x', undefined]);
  assert.deepEqual(run('GET', '/v2/mine/manifests/x', { 'x-stowage-repository': { value: 'victim' } }), ['/v2/_r/manifests/x', 'mine']);
  // Without rewriteRoutes (the upload behaviour) paths stay as sent.
  assert.deepEqual(runViewerRequest(code, req('POST', '/v2/org/tags/blobs/uploads/')).uri, '/v2/org/tags/blobs/uploads/');
});

test('blob response function: Docker-Content-Digest from the signed query (a valid digest only), Content-Type, API version', () => {
  const fn = new Function(`${blobResponseFunctionCode()}\nreturn handler;`)() as (e: unknown) => { statusCode: number; headers: Record<string, { value: string }> };
  const run = (query: Record<string, { value: string }>) =>
    fn({
      version: '1.0',
      context: { eventType: 'viewer-response' },
      viewer: { ip: '198.51.100.7' },
      request: { method: 'GET', uri: '/content/u1', querystring: query, headers: {}, cookies: {} },
      response: { statusCode: 200, headers: { 'content-length': { value: '42' }, 'content-type': { value: 'binary/octet-stream' } }, cookies: {} },
    }).headers;
  const d256 = `sha256:${'a'.repeat(64)}`;
  const d512 = `sha512:${'b'.repeat(128)}`;
  for (const d of [d256, d512]) {
    const h = run({ 'docker-content-digest': { value: d }, 'X-Amz-Signature': { value: 'x' } });
    assert.equal(h['docker-content-digest']?.value, d);
    assert.equal(h['content-type']?.value, 'application/octet-stream');
    assert.equal(h['content-length']?.value, '42', "S3's length is kept");
    assert.equal(h['docker-distribution-api-version']?.value, 'registry/2.0');
  }
  for (const bad of [`sha256:${'a'.repeat(63)}`, 'md5:abc', `${d256}\r\nx: y`])
    assert.equal(run({ 'docker-content-digest': { value: bad } })['docker-content-digest'], undefined, bad);
  assert.equal(run({})['docker-content-digest'], undefined);
  assert.ok(Buffer.byteLength(blobResponseFunctionCode()) < 10 * 1024);
});

test('a configured service name replaces the host in service=', () => {
  const named = viewerRequestFunctionCode({ apiKeyHeader: 'x-api-key', serviceName: 'registry.example.com' });
  assert.match(runViewerRequest(named, req('GET', '/v2/')).headers['x-stowage-challenge']?.value ?? '', /service="registry\.example\.com"$/);
});

test("trusted headers overwrite what a viewer sends; a viewer's API key is dropped", () => {
  const out = runViewerRequest(
    code,
    req('GET', '/v2/', {
      'x-stowage-client-address': { value: '10.0.0.1' },
      'x-stowage-public-host': { value: 'evil.example' },
      'x-stowage-challenge': { value: 'Bearer realm="https://evil.example/token"' },
      'x-api-key': { value: 'guess' },
    }),
  );
  assert.equal(out.headers['x-stowage-client-address']?.value, '198.51.100.7');
  assert.equal(out.headers['x-stowage-public-host']?.value, 'd111.cloudfront.net');
  assert.match(out.headers['x-stowage-challenge']?.value ?? '', /^Bearer realm="https:\/\/d111\.cloudfront\.net\/token"/);
  assert.equal(out.headers['x-api-key'], undefined);
});

test('the function source stays within what CloudFront Functions accept (size; no modules)', () => {
  assert.ok(Buffer.byteLength(code) < 10 * 1024, 'under the 10 KB limit');
  assert.doesNotMatch(code, /\b(import|export|require)\b/);
});
