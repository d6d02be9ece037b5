/**
 * Props from CDK context (`cdk deploy -c stowage:maxNameDepth=3 ...` or cdk.json "context"), for
 * the thin app in bin/. Values from the command line arrive as strings; cdk.json may hold real
 * booleans and numbers; both are accepted. An unknown `stowage:` key is an error (typos).
 */
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import { readFileSync } from 'node:fs';
import type { Construct } from 'constructs';
import type { StowageRegistryProps } from './props.js';

export const CONTEXT_KEYS = [
  'stackName',
  'region',
  'account',
  'maxNameDepth',
  'stageName',
  'serviceName',
  's3Prefix',
  'kmsKeyArn',
  'presignExpiresSeconds',
  'logRetentionDays',
  'functionMemoryMiB',
  'tracing',
  'anonymousPull',
  'iamLogin',
  'policyFile',
  'additionalClientIds',
  'resourceServerIdentifier',
  'cognitoDomainPrefix',
  'throttleRateLimit',
  'throttleBurstLimit',
  'uploadService',
  'uploadServiceDesiredCount',
  'uploadServiceMaxCount',
  'uploadServiceSpot',
  'uploadServiceCpu',
  'uploadServiceMemoryMiB',
  'natGateways',
  'originCertificateArn',
  'domainNames',
  'certificateArn',
  'hostedZoneId',
  'hostedZoneName',
  'webAclArn',
  'waf',
  'wafRateLimit',
  'alarmTopicArn',
  'alarmEmail',
  'accessLogs',
  'dashboard',
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

export type ContextGetter = (key: string) => unknown;

/** Reads and type-checks the `stowage:*` context; throws one Error naming every bad value. */
export function readContext(all: Record<string, unknown>): Partial<Record<ContextKey, string | number | boolean>> {
  const problems: string[] = [];
  const out: Partial<Record<ContextKey, string | number | boolean>> = {};
  const numbers = new Set<ContextKey>([
    'maxNameDepth',
    'presignExpiresSeconds',
    'logRetentionDays',
    'functionMemoryMiB',
    'throttleRateLimit',
    'throttleBurstLimit',
    'uploadServiceDesiredCount',
    'uploadServiceMaxCount',
    'uploadServiceCpu',
    'uploadServiceMemoryMiB',
    'natGateways',
    'wafRateLimit',
  ]);
  const booleans = new Set<ContextKey>(['tracing', 'anonymousPull', 'iamLogin', 'uploadService', 'uploadServiceSpot', 'waf', 'accessLogs', 'dashboard']);
  for (const [fullKey, raw] of Object.entries(all)) {
    if (!fullKey.startsWith('stowage:')) continue;
    const key = fullKey.slice('stowage:'.length) as ContextKey;
    if (!(CONTEXT_KEYS as readonly string[]).includes(key)) {
      problems.push(`unknown context key ${fullKey} (known: ${CONTEXT_KEYS.map((k) => `stowage:${k}`).join(', ')})`);
      continue;
    }
    if (numbers.has(key)) {
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(n) || String(raw).trim() === '') problems.push(`${fullKey} must be a number (got ${JSON.stringify(raw)})`);
      else out[key] = n;
    } else if (booleans.has(key)) {
      if (raw === true || raw === 'true') out[key] = true;
      else if (raw === false || raw === 'false') out[key] = false;
      else problems.push(`${fullKey} must be true or false (got ${JSON.stringify(raw)})`);
    } else if (typeof raw === 'string') {
      out[key] = raw;
    } else {
      problems.push(`${fullKey} must be a string (got ${JSON.stringify(raw)})`);
    }
  }
  if (problems.length) throw new Error(`stowage context:\n  - ${problems.join('\n  - ')}`);
  return out;
}

function readPolicyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`stowage context: stowage:policyFile ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** StowageRegistry props from the context; references (certificates, keys, zones) are imported by ARN/id. */
export function registryPropsFromContext(scope: Construct, c: Partial<Record<ContextKey, string | number | boolean>>): StowageRegistryProps {
  const str = (k: ContextKey) => (c[k] === undefined ? undefined : String(c[k]));
  const num = (k: ContextKey) => (c[k] === undefined ? undefined : Number(c[k]));
  const bool = (k: ContextKey) => (c[k] === undefined ? undefined : c[k] === true);
  const domainNames = str('domainNames')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const certificateArn = str('certificateArn');
  if ((domainNames && !certificateArn) || (!domainNames && certificateArn)) {
    throw new Error('stowage context: stowage:domainNames and stowage:certificateArn go together');
  }
  const zoneId = str('hostedZoneId');
  const zoneName = str('hostedZoneName');
  if ((zoneId === undefined) !== (zoneName === undefined)) throw new Error('stowage context: stowage:hostedZoneId and stowage:hostedZoneName go together');
  const retention = num('logRetentionDays');
  const upload = {
    ...(bool('uploadService') !== undefined && { enabled: bool('uploadService') as boolean }),
    ...(num('uploadServiceDesiredCount') !== undefined && { desiredCount: num('uploadServiceDesiredCount') as number }),
    ...(num('uploadServiceMaxCount') !== undefined && { maxCount: num('uploadServiceMaxCount') as number }),
    ...(bool('uploadServiceSpot') !== undefined && { spot: bool('uploadServiceSpot') as boolean }),
    ...(num('uploadServiceCpu') !== undefined && { cpu: num('uploadServiceCpu') as number }),
    ...(num('uploadServiceMemoryMiB') !== undefined && { memoryMiB: num('uploadServiceMemoryMiB') as number }),
    ...(num('natGateways') !== undefined && { natGateways: num('natGateways') as number }),
    ...(str('originCertificateArn') && { originCertificate: acm.Certificate.fromCertificateArn(scope, 'OriginCertificate', str('originCertificateArn') as string) }),
  };
  return {
    ...(num('maxNameDepth') !== undefined && { maxNameDepth: num('maxNameDepth') as number }),
    ...(str('stageName') !== undefined && { stageName: str('stageName') as string }),
    ...(str('serviceName') !== undefined && { serviceName: str('serviceName') as string }),
    ...(str('s3Prefix') !== undefined && { s3Prefix: str('s3Prefix') as string }),
    ...(str('kmsKeyArn') && { encryptionKey: kms.Key.fromKeyArn(scope, 'BucketKey', str('kmsKeyArn') as string) }),
    ...(num('presignExpiresSeconds') !== undefined && { presignExpiresSeconds: num('presignExpiresSeconds') as number }),
    ...(retention !== undefined && { logRetention: retention as logs.RetentionDays }),
    ...(num('functionMemoryMiB') !== undefined && { functionMemoryMiB: num('functionMemoryMiB') as number }),
    ...(bool('tracing') !== undefined && { tracing: bool('tracing') as boolean }),
    ...(bool('anonymousPull') !== undefined && { anonymousPull: bool('anonymousPull') as boolean }),
    ...(bool('iamLogin') !== undefined && { iamLogin: bool('iamLogin') as boolean }),
    ...(str('policyFile') !== undefined && { policy: readPolicyFile(str('policyFile') as string) }),
    ...(str('additionalClientIds') !== undefined && {
      additionalClientIds: (str('additionalClientIds') as string)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    }),
    ...(str('resourceServerIdentifier') !== undefined && { resourceServerIdentifier: str('resourceServerIdentifier') as string }),
    ...(str('cognitoDomainPrefix') !== undefined && { cognitoDomainPrefix: str('cognitoDomainPrefix') as string }),
    ...(num('throttleRateLimit') !== undefined && { throttleRateLimit: num('throttleRateLimit') as number }),
    ...(num('throttleBurstLimit') !== undefined && { throttleBurstLimit: num('throttleBurstLimit') as number }),
    ...(Object.keys(upload).length > 0 && { uploadService: upload }),
    ...(domainNames &&
      certificateArn && {
        customDomain: {
          domainNames,
          certificate: acm.Certificate.fromCertificateArn(scope, 'Certificate', certificateArn),
          ...(zoneId && zoneName && { hostedZone: route53.HostedZone.fromHostedZoneAttributes(scope, 'Zone', { hostedZoneId: zoneId, zoneName }) }),
        },
      }),
    ...(str('webAclArn') && { webAclArn: str('webAclArn') as string }),
    ...(str('alarmTopicArn') && { alarmTopic: sns.Topic.fromTopicArn(scope, 'AlarmTopic', str('alarmTopicArn') as string) }),
    ...(str('alarmEmail') && { alarmEmail: str('alarmEmail') as string }),
    ...(bool('accessLogs') !== undefined && { accessLogs: bool('accessLogs') as boolean }),
    ...(bool('dashboard') !== undefined && { dashboard: bool('dashboard') as boolean }),
  };
}
