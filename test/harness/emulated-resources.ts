/**
 * Creates the stack's data resources on the emulators from their template definitions: every
 * AWS::S3::Bucket as a bucket, every AWS::DynamoDB::Table with the template's key schema,
 * attributes and global secondary indexes (so the table the functions use is the one the stack
 * declares, not the adapter's own createTable). Streams, TTL, point-in-time recovery and
 * encryption have no emulator here; the stream consumer is tested on recorded fixtures.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { AwsEmulators } from '../helpers/aws-emulators.js';
import { resourcesOfType, type CfnTemplate } from './cfn.js';
import type { LocalNames } from './local-names.js';

export async function createStackResources(template: CfnTemplate, names: LocalNames, emulators: AwsEmulators): Promise<void> {
  for (const name of names.buckets.values()) await emulators.s3.send(new CreateBucketCommand({ Bucket: name }));
  for (const [id, table] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const p = table.Properties ?? {};
    const input: CreateTableCommandInput = {
      TableName: names.tables.get(id),
      AttributeDefinitions: p.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
      KeySchema: p.KeySchema as CreateTableCommandInput['KeySchema'],
      BillingMode: (p.BillingMode as CreateTableCommandInput['BillingMode']) ?? 'PROVISIONED',
      ...(p.GlobalSecondaryIndexes !== undefined && { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'] }),
      ...(p.LocalSecondaryIndexes !== undefined && { LocalSecondaryIndexes: p.LocalSecondaryIndexes as CreateTableCommandInput['LocalSecondaryIndexes'] }),
      ...(p.ProvisionedThroughput !== undefined && { ProvisionedThroughput: p.ProvisionedThroughput as CreateTableCommandInput['ProvisionedThroughput'] }),
    };
    await emulators.dynamodb.send(new CreateTableCommand(input));
  }
}
