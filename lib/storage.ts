/** The blob bucket: content, upload parts and leftovers, large manifests; optionally a bucket for access logs. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { bucketDefaults } from './defaults.js';
import { acknowledge, nagAttributeToken } from './nag.js';
import { areaPrefixes, type DataAccess, type S3Area } from './permissions.js';

/** How long access logs (S3, CloudFront, load balancer) are kept. */
export const ACCESS_LOG_DAYS = 90;

export interface RegistryStorageProps {
  readonly prefix: string;
  readonly encryptionKey?: kms.IKey;
  /** Create a bucket for access logs and log the blob bucket's requests there. */
  readonly accessLogs: boolean;
}

export class RegistryStorage extends Construct {
  readonly bucket: s3.Bucket;
  readonly prefix: string;
  /** Where the blob bucket, the distribution and the load balancer write access logs; undefined when off. */
  readonly accessLogBucket: s3.Bucket | undefined;
  private readonly encryptionKey: kms.IKey | undefined;

  constructor(scope: Construct, id: string, props: RegistryStorageProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.encryptionKey = props.encryptionKey;
    const areas = areaPrefixes(props.prefix);
    this.accessLogBucket = props.accessLogs
      ? new s3.Bucket(this, 'AccessLogs', {
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          // CloudFront's standard logs are written with an ACL.
          objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
          // SSE-S3: the only encryption load balancer access logs accept.
          encryption: s3.BucketEncryption.S3_MANAGED,
          enforceSSL: true,
          versioned: false,
          removalPolicy: RemovalPolicy.RETAIN,
          lifecycleRules: [{ id: 'expire-access-logs', enabled: true, expiration: Duration.days(ACCESS_LOG_DAYS) }],
        })
      : undefined;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...bucketDefaults({ uploadsPrefix: areas.uploads, ...(props.encryptionKey && { encryptionKey: props.encryptionKey }) }),
      ...(this.accessLogBucket && { serverAccessLogsBucket: this.accessLogBucket, serverAccessLogsPrefix: 's3/' }),
    });

    // cdk-nag: access logs are an option; the log bucket does not log itself.
    if (this.accessLogBucket) acknowledge(this.accessLogBucket, { 'AwsSolutions-S1': 'the access-log bucket itself; logging it would log forever' });
    else acknowledge(this.bucket, { 'AwsSolutions-S1': 'access logs are an option (accessLogs prop); every registry request has an access line in CloudWatch Logs' });
    // cdk-nag: each role reaches objects by key area (`blobs/*`, `uploads/*`, ...): object keys are digests and upload ids, so a wildcard within the area is the narrowest grant.
    const bucketArn = nagAttributeToken(this.bucket, 'Arn');
    acknowledge(
      scope,
      Object.fromEntries(
        Object.values(areas).map((prefix) => [
          `AwsSolutions-IAM5[Resource::${bucketArn}/${prefix}*]`,
          `objects of one key area (${prefix}) of the blob bucket: keys are digests and upload ids only known at run time`,
        ]),
      ),
    );
  }

  /** IAM statements for the S3 part of an access set: named actions on named key areas only; listing only within the areas it reads. */
  statements(access: DataAccess): iam.PolicyStatement[] {
    const areas = areaPrefixes(this.prefix);
    const byActions = new Map<string, string[]>();
    for (const [area, actions] of Object.entries(access.objects) as [S3Area, readonly string[]][]) {
      if (actions.length === 0) continue;
      const key = [...actions].sort().join(',');
      byActions.set(key, [...(byActions.get(key) ?? []), this.bucket.arnForObjects(`${areas[area]}*`)]);
    }
    const statements = [...byActions].map(([actions, resources]) => new iam.PolicyStatement({ actions: actions.split(','), resources }));
    if (access.listBucket) {
      // ListBucket applies to the bucket, so the key areas are a condition on the listed prefix.
      // IfExists: S3 also consults ListBucket when a GetObject or HeadObject names an absent key
      // (404 with it, 403 without), and that check carries no s3:prefix; a plain StringLike
      // would turn every "not found" into "access denied". Listings that name a prefix (the
      // adapter's always do) are held to the role's areas.
      const listed = (Object.entries(access.objects) as [S3Area, readonly string[]][]).filter(([, actions]) => actions.length > 0).map(([area]) => `${areas[area]}*`);
      statements.push(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [this.bucket.bucketArn],
          conditions: { StringLikeIfExists: { 's3:prefix': listed.length > 0 ? listed : Object.values(areas).map((p) => `${p}*`) } },
        }),
      );
    }
    if (this.encryptionKey) {
      const writes = Object.values(access.objects).some((a) => a.includes('s3:PutObject'));
      const reads = Object.values(access.objects).some((a) => a.includes('s3:GetObject'));
      const kmsActions = [...(reads || writes ? ['kms:Decrypt'] : []), ...(writes ? ['kms:GenerateDataKey'] : [])];
      if (kmsActions.length) statements.push(new iam.PolicyStatement({ actions: kmsActions, resources: [this.encryptionKey.keyArn] }));
    }
    return statements;
  }
}
