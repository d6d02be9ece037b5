/**
 * The metadata table, declared exactly as the adapter's createTable() creates it
 * (src/adapters/aws/dynamodb-metadata-store.ts): string keys PK/SK, the sparse KEYS_ONLY index
 * GSI1 (GSI1PK/GSI1SK), stream NEW_AND_OLD_IMAGES, TTL on expiresAt. Names come from the one
 * module that spells them (dynamodb-keys.ts). A test compares this with what createTable sends.
 */
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ATTR, GSI1 } from '../src/adapters/aws/dynamodb-keys.js';
import { tableDefaults } from './defaults.js';
import type { DataAccess } from './permissions.js';

export class RegistryTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      ...tableDefaults(),
      partitionKey: { name: ATTR.pk, type: dynamodb.AttributeType.STRING },
      sortKey: { name: ATTR.sk, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: ATTR.expiresAt,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: GSI1,
      partitionKey: { name: ATTR.gsi1pk, type: dynamodb.AttributeType.STRING },
      sortKey: { name: ATTR.gsi1sk, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }

  /** IAM statements for the DynamoDB part of an access set: named actions on the table (and GSI1). */
  statements(access: DataAccess): iam.PolicyStatement[] {
    const statements: iam.PolicyStatement[] = [];
    if (access.table.length) statements.push(new iam.PolicyStatement({ actions: [...access.table], resources: [this.table.tableArn] }));
    if (access.blobIndexQuery) statements.push(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${this.table.tableArn}/index/${GSI1}`] }));
    return statements;
  }
}
