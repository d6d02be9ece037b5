/**
 * AWS emulators started by the tests themselves, on loopback: dynalite for DynamoDB and fauxqs
 * for S3 (see shared/FIELD-NOTES.md for what each supports). Each call starts a fresh pair.
 *
 * fauxqs's startFauxqs() caps request bodies at 11 MiB, below the S3 store's 16 MiB parts, so
 * its app is built with buildApp() and the binary body parser re-registered with a larger limit
 * (Fastify's public API); everything else is fauxqs as shipped.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { createTable } from '../../src/adapters/aws/dynamodb-metadata-store.js';

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const TEST_REGION = 'us-east-1';

export interface AwsEmulators {
  s3Endpoint: string;
  dynamodbEndpoint: string;
  s3: S3Client;
  dynamodb: DynamoDBClient;
  /** Environment for a child `stowage serve` that should use these emulators. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const S3_BODY_LIMIT = 160 * 1024 * 1024;

export interface S3Emulator {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startS3Emulator(): Promise<S3Emulator> {
  const app = buildApp({ logger: false });
  app.removeContentTypeParser('*');
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: S3_BODY_LIMIT }, (_req, body, done) => done(null, body));
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
  return { endpoint, stop: () => app.close() };
}

export interface DynamoDbEmulator {
  endpoint: string;
  stop(): Promise<void>;
}

/** dynalite on a free loopback port, tables created at once (no CREATING delay). */
export async function startDynamoDbEmulator(): Promise<DynamoDbEmulator> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function startAwsEmulators(): Promise<AwsEmulators> {
  const dyn = await startDynamoDbEmulator();
  const s3Emulator = await startS3Emulator();
  const s3Endpoint = s3Emulator.endpoint;
  const dynamodbEndpoint = dyn.endpoint;
  const s3 = new S3Client({ endpoint: s3Endpoint, region: TEST_REGION, forcePathStyle: true, credentials: TEST_CREDENTIALS });
  const dynamodb = new DynamoDBClient({ endpoint: dynamodbEndpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
  return {
    s3Endpoint,
    dynamodbEndpoint,
    s3,
    dynamodb,
    env: {
      AWS_ENDPOINT_URL_S3: s3Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
      AWS_REGION: TEST_REGION,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    },
    async stop() {
      s3.destroy();
      dynamodb.destroy();
      await s3Emulator.stop();
      await dyn.stop();
    },
  };
}

/**
 * A fresh bucket and registry table on the emulators, and the environment a registry Lambda reads
 * them from: the emulators' endpoints and what the stack sets (fauxqs needs path-style URLs).
 */
export async function createRegistryStores(emulators: AwsEmulators, table = 'stowage'): Promise<Record<string, string>> {
  const bucket = `stowage-${randomUUID().slice(0, 8)}`;
  await emulators.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await createTable(emulators.dynamodb, table);
  return { ...emulators.env, STOWAGE_S3_BUCKET: bucket, STOWAGE_DYNAMODB_TABLE: table, STOWAGE_S3_FORCE_PATH_STYLE: '1' };
}
