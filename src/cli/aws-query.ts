/**
 * One call of an AWS Query API (STS, IAM, CloudFormation: form-encoded POST, XML answer), signed
 * with SigV4 by the SDK's own signer (@smithy/signature-v4) with credentials from the SDK's
 * default chain (environment, profile, SSO, container, instance). For the CLI's deploy checks
 * (`npm run preflight`), where the project carries no STS, IAM or CloudFormation client.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export interface QueryAnswer {
  readonly status: number;
  readonly body: string;
}

/** Sends one Query action; the boundary the preflight checks are tested at. */
export type QueryCall = (service: QueryService, action: string, params?: Record<string, string>, region?: string) => Promise<QueryAnswer>;

export type QueryService = 'sts' | 'iam' | 'cloudformation';

const VERSIONS: Record<QueryService, string> = { sts: '2011-06-15', iam: '2010-05-08', cloudformation: '2010-05-15' };

/** The service's endpoint host; IAM is global (signed for us-east-1). `endpoint` overrides all (tests, local endpoints). */
export function queryHost(service: QueryService, region: string): { host: string; signingRegion: string } {
  if (service === 'iam') return { host: 'iam.amazonaws.com', signingRegion: 'us-east-1' };
  return { host: `${service}.${region}.amazonaws.com`, signingRegion: region };
}

export interface QueryClientOptions {
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** `http://127.0.0.1:PORT` instead of the AWS endpoints (tests). */
  readonly endpoint?: string;
  readonly fetch?: typeof fetch;
}

export function queryClient(options: QueryClientOptions): QueryCall {
  const send = options.fetch ?? fetch;
  return async (service, action, params = {}, region = options.region) => {
    const { host, signingRegion } = queryHost(service, region);
    const url = new URL(options.endpoint ?? `https://${host}`);
    const body = new URLSearchParams({ Action: action, Version: VERSIONS[service], ...params }).toString();
    const signer = new SignatureV4({ service, region: signingRegion, credentials: options.credentials, sha256: Hash.bind(null, 'sha256') });
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port && { port: Number(url.port) }),
      path: '/',
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    });
    const res = await send(new URL('/', url), { method: 'POST', headers: signed.headers as Record<string, string>, body });
    return { status: res.status, body: await res.text() };
  };
}

/** The text of the first `<name>` element of an AWS XML answer (one definition, shared with the IAM login adapter). */
export { xmlText } from '../adapters/aws/aws-xml.js';
