/** The blob bucket: content, upload parts and leftovers, large manifests. */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { bucketDefaults } from './defaults.js';
import { areaPrefixes, type DataAccess, type S3Area } from './permissions.js';

export interface RegistryStorageProps {
  readonly prefix: string;
  readonly encryptionKey?: kms.IKey;
}

export class RegistryStorage extends Construct {
  readonly bucket: s3.Bucket;
  readonly prefix: string;
  private readonly encryptionKey: kms.IKey | undefined;

  constructor(scope: Construct, id: string, props: RegistryStorageProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.encryptionKey = props.encryptionKey;
    const areas = areaPrefixes(props.prefix);
    this.bucket = new s3.Bucket(this, 'Bucket', bucketDefaults({ uploadsPrefix: areas.uploads, ...(props.encryptionKey && { encryptionKey: props.encryptionKey }) }));
  }

  /** IAM statements for the S3 part of an access set: named actions on named key areas only. */
  statements(access: DataAccess): iam.PolicyStatement[] {
    const areas = areaPrefixes(this.prefix);
    const byActions = new Map<string, string[]>();
    for (const [area, actions] of Object.entries(access.objects) as [S3Area, readonly string[]][]) {
      if (actions.length === 0) continue;
      const key = [...actions].sort().join(',');
      byActions.set(key, [...(byActions.get(key) ?? []), this.bucket.arnForObjects(`${areas[area]}*`)]);
    }
    const statements = [...byActions].map(([actions, resources]) => new iam.PolicyStatement({ actions: actions.split(','), resources }));
    if (access.listBucket) statements.push(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    if (this.encryptionKey) {
      const writes = Object.values(access.objects).some((a) => a.includes('s3:PutObject'));
      const reads = Object.values(access.objects).some((a) => a.includes('s3:GetObject'));
      const kmsActions = [...(reads || writes ? ['kms:Decrypt'] : []), ...(writes ? ['kms:GenerateDataKey'] : [])];
      if (kmsActions.length) statements.push(new iam.PolicyStatement({ actions: kmsActions, resources: [this.encryptionKey.keyArn] }));
    }
    return statements;
  }
}
