/** Least privilege: named actions only, on named resources; each operation can do what it needs and no more. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATION_ACCESS, uploadServiceAccess } from '../../lib/permissions.js';
import { OPERATIONS } from '../../lib/functions.js';
import { actionsOf, resourcesOfType, roleStatements, synthCached } from './support.js';

const DATA_SERVICES = /^(s3|dynamodb|kms|events|sqs):/;

test('no IAM policy grants a wildcard action on a data service', () => {
  const { json } = synthCached();
  const policies = [
    ...resourcesOfType(json, 'AWS::IAM::Policy').map(([id, p]) => [id, p.PolicyDocument] as const),
    ...resourcesOfType(json, 'AWS::IAM::Role').flatMap(([id, p]) => ((p.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map((x) => [id, x.PolicyDocument] as const)),
  ];
  assert.ok(policies.length > 10);
  // CDK's BucketDeployment provider (the web console's files, lib/console.ts) is granted s3:GetObject*,
  // s3:List* and the like by CDK itself; what matters is that it reaches no registry data.
  const blobBucket = resourcesOfType(json, 'AWS::S3::Bucket').find(([id]) => !id.startsWith('RegistryWebConsole'))![0];
  for (const [id, doc] of policies.filter(([id]) => id.startsWith('CustomCDKBucketDeployment'))) {
    assert.doesNotMatch(JSON.stringify(doc), new RegExp(blobBucket), `${id} reaches the blob bucket`);
    assert.doesNotMatch(JSON.stringify(doc), /dynamodb:|kms:/, `${id} reaches the table or a key`);
  }
  for (const [id, doc] of policies.filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'))) {
    for (const statement of (doc as { Statement: { Action: string | string[]; Effect: string }[] }).Statement) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of actionsOf([statement])) {
        assert.notEqual(action, '*', `${id} allows *`);
        if (DATA_SERVICES.test(action)) assert.doesNotMatch(action, /\*/, `${id} allows ${action}`);
      }
    }
  }
});

test('read-only operations cannot write: getManifest has no s3:PutObject and no dynamodb:PutItem', () => {
  const s = synthCached();
  const writes = /^(s3:(Put|Delete|Abort)|dynamodb:(Put|Update|Delete|BatchWrite))/;
  for (const op of ['ping', 'catalog', 'listTags', 'getManifest', 'headManifest', 'getBlob', 'headBlob', 'getUpload', 'listReferrers']) {
    const actions = actionsOf(roleStatements(s, `Operations/${op}`));
    for (const a of actions) assert.doesNotMatch(a, writes, `${op} may ${a}`);
  }
  const getManifest = actionsOf(roleStatements(s, 'Operations/getManifest'));
  assert.ok(!getManifest.includes('s3:PutObject'));
  assert.ok(!getManifest.includes('dynamodb:PutItem'));
  assert.ok(getManifest.includes('dynamodb:GetItem'), 'but it can read');
  assert.deepEqual(
    actionsOf(roleStatements(s, 'Operations/ping')).filter((a) => DATA_SERVICES.test(a)),
    [],
    'the ping touches no data',
  );
});

test("each function gets exactly its operation's actions, on the table, the index and its S3 key areas only", () => {
  const s = synthCached({ s3Prefix: 'reg/' });
  for (const op of OPERATIONS) {
    const statements = roleStatements(s, `Operations/${op}`).filter((st) => DATA_SERVICES.test(actionsOf([st])[0] ?? ''));
    const access = OPERATION_ACCESS[op];
    const want = new Set([
      ...access.table,
      ...(access.blobIndexQuery ? ['dynamodb:Query'] : []),
      ...Object.values(access.objects).flat(),
      ...(access.listBucket ? ['s3:ListBucket'] : []),
    ]);
    assert.deepEqual(new Set(actionsOf(statements)), want, op);
    for (const st of statements) {
      const resource = JSON.stringify(st.Resource);
      if (actionsOf([st]).some((a) => a.startsWith('s3:') && a !== 's3:ListBucket')) {
        assert.match(resource, /"\/reg\/(blobs|content|uploads|manifests)\/\*"/, `${op}: S3 object actions only under the registry's key areas`);
      }
      // Listing is held to the key areas the operation reads or writes (IfExists: see lib/storage.ts).
      if (actionsOf([st]).includes('s3:ListBucket')) {
        const prefixes = (st.Condition as { StringLikeIfExists?: Record<string, string[]> } | undefined)?.StringLikeIfExists?.['s3:prefix'] ?? [];
        assert.ok(prefixes.length > 0 && prefixes.every((p) => /^reg\/(blobs|content|uploads|manifests)\/\*$/.test(p)), `${op}: s3:ListBucket limited by prefix (${prefixes})`);
      }
    }
  }
  // Deleting a blob only unlinks it: no S3 delete of content from a request.
  assert.deepEqual(actionsOf(roleStatements(s, 'Operations/deleteBlob')), ['dynamodb:DeleteItem']);
  const commit = roleStatements(s, 'Operations/putUpload');
  const blobDeletes = commit.filter((st) => actionsOf([st]).includes('s3:DeleteObject') && JSON.stringify(st.Resource).includes('/blobs/'));
  assert.deepEqual(blobDeletes, [], 'no request deletes a committed blob pointer');
});

test('the stream consumer may read the stream and put events on its bus, nothing else of the data', () => {
  const s = synthCached();
  const actions = actionsOf(roleStatements(s, 'Events/StreamConsumer'));
  assert.ok(actions.includes('events:PutEvents'));
  assert.ok(actions.includes('dynamodb:GetRecords'));
  for (const a of actions) assert.doesNotMatch(a, /^(s3:|dynamodb:(Put|Get)Item|dynamodb:Query)/, a);
});

test("the upload service task role has the upload operations' access plus the start-up checks", () => {
  const s = synthCached();
  const access = uploadServiceAccess();
  const roles = resourcesOfType(s.json, 'AWS::IAM::Role').filter(([, p]) => JSON.stringify(p.AssumeRolePolicyDocument).includes('ecs-tasks.amazonaws.com'));
  const taskRoleIds = roles.map(([id]) => id);
  const statements = resourcesOfType(s.json, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Roles as { Ref: string }[]).some((r) => taskRoleIds.includes(r.Ref)))
    .flatMap(([, p]) => (p.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement);
  const data = new Set(actionsOf(statements).filter((a) => /^(s3|dynamodb):/.test(a)));
  assert.ok(data.has('dynamodb:DescribeTable') && data.has('s3:ListBucket'));
  for (const a of access.table) assert.ok(data.has(a), a);
  assert.ok(!data.has('dynamodb:BatchWriteItem'), 'uploads never batch-delete manifests');
});

test('the IAM policy docs/deploy.md gives for running the image elsewhere matches registryServerAccess()', async () => {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { PACKAGE_ROOT } = await import('../../lib/stowage-registry.js');
  const { registryServerAccess, areaPrefixes } = await import('../../lib/permissions.js');
  const text = await readFile(join(PACKAGE_ROOT, 'docs', 'deploy.md'), 'utf8');
  const section = text.slice(text.indexOf('## Running the image elsewhere'));
  const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(json, 'the section has a JSON policy');
  const doc = JSON.parse(json) as { Statement: { Action: string[]; Resource: string | string[] }[] };
  const granted = new Set(
    doc.Statement.flatMap((st) =>
      [st.Resource]
        .flat()
        .flatMap((r) =>
          st.Action.map(
            (a) => `${a} ${r.replace(/^.*:::BUCKET\/PREFIX|^.*:::BUCKET$|^.*table\/TABLE/, (m) => (m.includes('PREFIX') ? '' : m.includes('BUCKET') ? 'bucket' : 'table'))}`,
          ),
        ),
    ),
  );
  const access = registryServerAccess();
  const areas = areaPrefixes('');
  const want = new Set([
    ...access.table.map((a) => `${a} table`),
    'dynamodb:Query table/index/GSI1',
    ...Object.entries(access.objects).flatMap(([area, actions]) => actions.map((a) => `${a} ${areas[area as keyof typeof areas]}*`)),
    's3:ListBucket bucket',
  ]);
  assert.deepEqual([...granted].sort(), [...want].sort());
});
