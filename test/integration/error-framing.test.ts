/**
 * Error answers keep a keep-alive connection usable: their Content-Length is their body's length,
 * so the next response on the same socket starts where the client expects it. Raw HTTP over
 * node:net, because fetch and http.Agent would hide a framing error by opening a new connection.
 * (A 416 once carried `Content-Length: 0` and then a JSON body, and the next answer on that
 * connection began with the stray `{"errors":...}`.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startStowage, type TestRegistry } from '../helpers/server.js';
import { RawConnection } from '../helpers/raw-http.js';

describe('error answers on a keep-alive connection', () => {
  let reg: TestRegistry;
  let conn: RawConnection;
  const repo = 'framing/test';

  before(async () => {
    reg = await startStowage({ backend: 'embedded' });
    conn = await RawConnection.open(reg.url);
  });
  after(async () => {
    conn.close();
    await reg.close();
  });

  const expectCleanPing = async (after: string) => {
    const ping = await conn.send('GET', '/v2/');
    assert.equal(ping.status, 200, `the request after ${after} is answered on the same connection`);
    assert.equal(ping.body.toString(), '{}');
  };

  test('a chunk out of order: 416 with its JSON body counted, then the next request parses cleanly', async () => {
    const started = await conn.send('POST', `/v2/${repo}/blobs/uploads/`);
    assert.equal(started.status, 202);
    const location = started.headers.location;
    assert.ok(location, 'the upload has a Location');

    const refused = await conn.send('PATCH', location, { 'content-range': '5-9', 'content-type': 'application/octet-stream' });
    assert.equal(refused.status, 416);
    assert.equal(refused.headers['content-length'], String(refused.body.byteLength));
    assert.equal(JSON.parse(refused.body.toString()).errors[0].code, 'BLOB_UPLOAD_INVALID');
    assert.equal(refused.headers.location, location, 'the 416 still says where the upload is');
    assert.equal(refused.headers.range, '0-0');
    await expectCleanPing('a 416 for a chunk');
    assert.equal(await conn.leftover(), '', 'no stray bytes on the connection');
  });

  test('an unsatisfiable blob range: 416 with Content-Range, then the next request parses cleanly', async () => {
    const blob = Buffer.from('0123456789');
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const pushed = await conn.send('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, { 'content-type': 'application/octet-stream' }, blob);
    assert.equal(pushed.status, 201);

    const refused = await conn.send('GET', `/v2/${repo}/blobs/${digest}`, { range: 'bytes=50-60' });
    assert.equal(refused.status, 416);
    assert.equal(refused.headers['content-range'], 'bytes */10');
    assert.equal(refused.headers['content-length'], String(refused.body.byteLength));
    await expectCleanPing('a 416 for a range');

    const head = await conn.send('HEAD', `/v2/${repo}/manifests/missing`);
    assert.equal(head.status, 404);
    assert.ok(Number(head.headers['content-length']) > 0, "a HEAD's Content-Length is the body a GET would get");
    await expectCleanPing('a HEAD refused 404');
    assert.equal(await conn.leftover(), '', 'no stray bytes on the connection');
  });
});
