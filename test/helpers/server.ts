import { mkdtemp, rm } from 'node:fs/promises';
import { SETTINGS } from '../../src/config/settings.js';
import { RepositorySettings } from '../../src/core/repository-settings.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { startServer } from '../../src/shells/http/server.js';
import { S3BlobStore } from '../../src/adapters/aws/s3-blob-store.js';
import { DynamoDbMetadataStore, createTable } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import { S3LargeObjectStore } from '../../src/adapters/aws/large-objects.js';
import { JsonLinesEventSink } from '../../src/adapters/embedded/event-sinks.js';
import { startAwsEmulators } from './aws-emulators.js';
import { startLambdaBackend } from './lambda-backend.js';
import { createPorts, EMBEDDED_DEFAULTS, type ClosablePorts } from '../../src/adapters/create-ports.js';
import { createEmbeddedAuth } from '../../src/adapters/embedded/auth.js';
import { JsonLinesAuditSink } from '../../src/adapters/embedded/audit-sink.js';
import type { LoginLimits } from '../../src/ports/login-limiter.js';
import { hashPassword } from '../../src/adapters/embedded/password-hash.js';
import { DataPaths } from '../../src/adapters/embedded/paths.js';
import { UsersFile } from '../../src/adapters/embedded/users-file.js';
import { Policy, type PolicyDocument } from '../../src/core/auth/policy.js';
import type { AuthSettings } from '../../src/core/auth/settings.js';

export interface TestRegistry {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** host:port, as clients such as docker and skopeo want it */
  host: string;
  dataDir: string;
  /** Which adapter family serves this registry. */
  backend: TestBackend;
  /** With `auth`: the challenge's realm and service, the settings the server runs with, and its audit log. */
  auth?: { realm: string; service: string; settings: AuthSettings; auditLog: string };
  close(): Promise<void>;
}

/** `--auth local` for a test server: users written to its data dir before it starts. */
export interface TestAuthOptions {
  users?: { name: string; password: string; groups?: string[] }[];
  /** @default every authenticated user may do everything */
  policy?: PolicyDocument;
  tokenTtlSeconds?: number;
  loginLimits?: LoginLimits;
  clientAddressHeader?: string;
  /** @default the server's host:port */
  service?: string;
  /** Clock of the token issuer and the limiter (expiry tests). */
  now?: () => number;
}

export type TestBackend = 'embedded' | 'aws' | 'lambda';

/**
 * The adapter family the suites run against: `embedded` (filesystem + SQLite) by default,
 * `aws` (S3 + DynamoDB on emulators the helper starts) when STOWAGE_TEST_BACKEND=aws, `lambda`
 * (the serverless stack through the local harness, ./lambda-backend.ts) when
 * STOWAGE_TEST_BACKEND=lambda. The same conformance and end-to-end tests run against all three
 * (see test/backends/).
 */
export function testBackend(): TestBackend {
  const b = process.env.STOWAGE_TEST_BACKEND;
  return b === 'aws' || b === 'lambda' ? b : 'embedded';
}

export interface TestPorts {
  ports: ClosablePorts;
  close(): Promise<void>;
}

/** The registry's ports on the chosen backend (emulators started for `aws` and `lambda`), for tests that drive the core directly. */
export async function startTestPorts(backend: TestBackend, dataDir: string): Promise<TestPorts> {
  if (backend === 'embedded') {
    const ports = await createPorts({ ...EMBEDDED_DEFAULTS, dataDir });
    return { ports, close: async () => ports.close() };
  }
  const emulators = await startAwsEmulators();
  const bucket = `stowage-${randomUUID().slice(0, 8)}`;
  const tableName = 'stowage';
  await emulators.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await createTable(emulators.dynamodb, tableName);
  const largeObjects = new S3LargeObjectStore({ client: emulators.s3, bucket });
  const ports: ClosablePorts = {
    blobs: new S3BlobStore({ client: emulators.s3, bucket, serveBlobs: 'redirect' }),
    metadata: new DynamoDbMetadataStore({ client: emulators.dynamodb, tableName, largeObjects }),
    events: new JsonLinesEventSink(join(dataDir, 'events.jsonl')),
    close: () => {},
  };
  return { ports, close: emulators.stop };
}

/**
 * Starts Stowage in a fresh temp data dir on a free loopback port, on the selected adapters;
 * with `auth`, as `serve --auth local` runs it (users file, signing key, audit log).
 */
/**
 * `repositories`: the per-repository settings list (src/core/repository-settings.ts), given to the
 * server as the config file would, or to the Lambdas as the stack would (their environment).
 */
export async function startStowage(options: { dataDir?: string; backend?: TestBackend; auth?: TestAuthOptions; repositories?: unknown[] } = {}): Promise<TestRegistry> {
  const backend = options.backend ?? testBackend();
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'stowage-test-')));
  if (backend === 'lambda') {
    if (options.auth) throw new Error('startStowage: the lambda backend has no --auth local; authenticate through the harness (test/harness/authorizer.ts)');
    const harness = await startLambdaBackend({ dataDir, ...(options.repositories && { environment: { [SETTINGS.repositories.env]: JSON.stringify(options.repositories) } }) });
    return {
      url: harness.url,
      host: harness.host,
      dataDir,
      backend,
      async close() {
        await harness.close();
        if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const { ports, close } = await startTestPorts(backend, dataDir);
  const auth = options.auth;
  const paths = new DataPaths(dataDir);
  if (auth?.users) {
    const users = new UsersFile(paths.usersFile);
    for (const u of auth.users) await users.put(u.name, await hashPassword(u.password), u.groups ?? []);
  }
  let authInfo: TestRegistry['auth'];
  const server = await startServer(
    {
      dataDir,
      host: '127.0.0.1',
      port: 0,
      ...(options.repositories && { repositories: RepositorySettings.fromJson(JSON.stringify(options.repositories), 'startStowage repositories') }),
      ...(auth && {
        security: async ({ url, port }) => {
          const realm = `${url}/token`;
          const service = auth.service ?? `127.0.0.1:${port}`;
          const settings = await createEmbeddedAuth({
            dataDir,
            realm,
            service,
            policy: auth.policy ? Policy.fromDocument(auth.policy) : Policy.allowAuthenticated(),
            ...(auth.tokenTtlSeconds !== undefined && { tokenTtlSeconds: auth.tokenTtlSeconds }),
            ...(auth.loginLimits && { loginLimits: auth.loginLimits }),
            ...(auth.now && { now: auth.now }),
          });
          authInfo = { realm, service, settings, auditLog: paths.auditLog };
          return { auth: settings, audit: new JsonLinesAuditSink(paths.auditLog), ...(auth.clientAddressHeader && { clientAddressHeader: auth.clientAddressHeader }) };
        },
      }),
    },
    ports,
  );
  return {
    url: server.url,
    host: `127.0.0.1:${server.port}`,
    dataDir,
    backend,
    ...(authInfo && { auth: authInfo }),
    async close() {
      await server.close();
      await close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
