/**
 * What a registry Lambda reads from its environment (the CDK stack sets it), with the CLI's
 * variable names and defaults. Parsed by hand rather than with the CLI's zod schema, to keep
 * zod out of every bundle.
 *
 *   STOWAGE_S3_BUCKET            blob bucket (required)
 *   STOWAGE_S3_PREFIX            key prefix inside it (default none)
 *   STOWAGE_DYNAMODB_TABLE       metadata table (required)
 *   STOWAGE_S3_PRESIGN_EXPIRES   presigned URL lifetime in seconds, 1..604800 (default 900)
 *   STOWAGE_S3_FORCE_PATH_STYLE  path-style S3 URLs, for S3-compatible stores and emulators (default off)
 *   STOWAGE_AUTH                 `cognito` (the stack sets it): the core authorizes every request
 *                                from the authorizer's principal, with the policy in
 *                                STOWAGE_POLICY_DOCUMENT and the STOWAGE_COGNITO_* settings
 *                                (src/adapters/aws/cognito-config.ts); `none` (default): the
 *                                gateway's authorizer alone decides, as before auth existed
 *   STOWAGE_CLIENT_ADDRESS_HEADER  header the front door sets to the client's address (audit lines)
 *
 * Region, credentials and endpoints come from the AWS SDK's standard environment (AWS_REGION,
 * the function's role, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB for emulators).
 */
export interface LambdaConfig {
  s3Bucket: string;
  s3Prefix: string;
  dynamodbTable: string;
  s3PresignExpires: number;
  s3ForcePathStyle: boolean;
  auth: 'none' | 'cognito';
  clientAddressHeader?: string;
}

export function lambdaConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name];
    if (!value) problems.push(`${name} is not set`);
    return value ?? '';
  };
  const s3Bucket = required('STOWAGE_S3_BUCKET');
  const dynamodbTable = required('STOWAGE_DYNAMODB_TABLE');
  const expiresRaw = env.STOWAGE_S3_PRESIGN_EXPIRES ?? '900';
  const s3PresignExpires = /^\d{1,6}$/.test(expiresRaw) ? Number(expiresRaw) : NaN;
  if (!(s3PresignExpires >= 1 && s3PresignExpires <= 604_800)) problems.push(`STOWAGE_S3_PRESIGN_EXPIRES must be 1..604800 seconds, not "${expiresRaw.slice(0, 20)}"`);
  const auth = env.STOWAGE_AUTH ?? 'none';
  if (auth !== 'none' && auth !== 'cognito') problems.push(`STOWAGE_AUTH must be none or cognito, not "${auth.slice(0, 20)}"`);
  const clientAddressHeader = env.STOWAGE_CLIENT_ADDRESS_HEADER;
  if (clientAddressHeader !== undefined && !/^[A-Za-z0-9-]{1,100}$/.test(clientAddressHeader)) problems.push('STOWAGE_CLIENT_ADDRESS_HEADER is not a header name');
  if (problems.length > 0) throw new Error(`registry Lambda configuration: ${problems.join('; ')}`);
  return {
    s3Bucket,
    s3Prefix: env.STOWAGE_S3_PREFIX ?? '',
    dynamodbTable,
    s3PresignExpires,
    s3ForcePathStyle: /^(1|true|yes|on)$/i.test(env.STOWAGE_S3_FORCE_PATH_STYLE ?? ''),
    auth: auth as LambdaConfig['auth'],
    ...(clientAddressHeader && { clientAddressHeader }),
  };
}
