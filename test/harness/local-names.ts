/**
 * Stand-ins for the physical ids CloudFormation would assign, so the template's intrinsics
 * resolve: the bucket and table names the harness creates on the emulators, a fake API id and
 * account, generated secret values (the API key CloudFront sends comes from a Secrets Manager
 * secret). Only what the harness reads has a stand-in; anything else stays unresolvable.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CfnTemplate, Resolver } from './cfn.js';

export const HARNESS_ACCOUNT = '123456789012';

/**
 * What the distribution's domain name resolves to, and the Host the viewer-request function
 * sees: CloudFront serves HTTPS on 443, the harness plain HTTP on some port, so values derived
 * from the public host are written with this stand-in and then localized (localizePublicHost).
 */
export const PUBLIC_HOST_STAND_IN = 'harness-public-host.invalid';

/** `https://<stand-in>` becomes the front door's origin, a bare stand-in its host:port. */
export function localizePublicHost(value: string, frontDoor: { scheme: string; hostPort: string }): string {
  if (!value.includes(PUBLIC_HOST_STAND_IN)) return value;
  return value.split(`https://${PUBLIC_HOST_STAND_IN}`).join(`${frontDoor.scheme}://${frontDoor.hostPort}`).split(PUBLIC_HOST_STAND_IN).join(frontDoor.hostPort);
}

export interface LocalNames {
  readonly region: string;
  readonly accountId: string;
  readonly resolver: Resolver;
  /** Bucket name per AWS::S3::Bucket logical id. */
  readonly buckets: ReadonlyMap<string, string>;
  /** Table name per AWS::DynamoDB::Table logical id. */
  readonly tables: ReadonlyMap<string, string>;
  /** The generated value of a secret, by its id or ARN. */
  secretValue(secretId: string): string | undefined;
}

const short = (id: string, n: number) => createHash('sha256').update(id).digest('hex').slice(0, n);

export function localNames(template: CfnTemplate, region: string): LocalNames {
  const accountId = HARNESS_ACCOUNT;
  const buckets = new Map<string, string>();
  const tables = new Map<string, string>();
  const secrets = new Map<string, string>();
  const refs = new Map<string, string>();
  for (const [id, r] of Object.entries(template.Resources)) {
    const props = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::S3::Bucket': {
        const name =
          typeof props.BucketName === 'string'
            ? props.BucketName
            : `harness-${id
                .toLowerCase()
                .replace(/[^a-z0-9-]/g, '')
                .slice(0, 40)}-${short(id, 6)}`;
        buckets.set(id, name);
        refs.set(id, name);
        break;
      }
      case 'AWS::DynamoDB::Table': {
        const name = typeof props.TableName === 'string' ? props.TableName : id;
        tables.set(id, name);
        refs.set(id, name);
        break;
      }
      case 'AWS::ApiGateway::RestApi':
        refs.set(id, short(id, 10));
        break;
      case 'AWS::Cognito::UserPool':
        refs.set(id, `${region}_${short(id, 9)}`);
        break;
      case 'AWS::ApiGateway::Stage':
        refs.set(id, String(props.StageName));
        break;
      case 'AWS::SecretsManager::Secret': {
        const arn = `arn:aws:secretsmanager:${region}:${accountId}:secret:${id}-${short(id, 6)}`;
        const value = randomBytes(36).toString('base64url').slice(0, 48);
        secrets.set(arn, value);
        secrets.set(id, value);
        refs.set(id, arn);
        break;
      }
      default:
        refs.set(id, id); // CloudFormation's Ref of most resources is an opaque id
    }
  }
  const pseudo: Record<string, string> = {
    'AWS::Region': region,
    'AWS::AccountId': accountId,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'Stowage',
  };
  const typeOf = (id: string) => template.Resources[id]?.Type;
  const resolver: Resolver = {
    ref: (id) => pseudo[id] ?? refs.get(id),
    getAtt(id, attribute) {
      const type = typeOf(id);
      if (type === 'AWS::Lambda::Function' && attribute === 'Arn') return `arn:aws:lambda:${region}:${accountId}:function:${id}`;
      if (type === 'AWS::ApiGateway::RestApi' && attribute === 'RootResourceId') return 'root';
      if (type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' && attribute === 'DNSName') return `internal-${short(id, 12)}.${region}.elb.amazonaws.com`;
      if (type === 'AWS::CloudFront::Distribution' && attribute === 'DomainName') return PUBLIC_HOST_STAND_IN;
      if (type === 'AWS::Cognito::UserPool') {
        const pool = `${region}_${short(id, 9)}`;
        if (attribute === 'Arn') return `arn:aws:cognito-idp:${region}:${accountId}:userpool/${pool}`;
        if (attribute === 'ProviderURL') return `https://cognito-idp.${region}.amazonaws.com/${pool}`;
        if (attribute === 'ProviderName') return `cognito-idp.${region}.amazonaws.com/${pool}`;
      }
      return undefined;
    },
  };
  return { region, accountId, resolver, buckets, tables, secretValue: (s) => secrets.get(s) };
}
