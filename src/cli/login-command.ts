/**
 * `stowage login --registry URL`: a registry password from the caller's AWS IAM identity, as
 * `aws ecr get-login-password` gives one for ECR:
 *
 *   stowage login --registry https://HOST | docker login --username AWS --password-stdin HOST
 *
 * 1. GET URL/v2/: the 401 challenge names the token realm and the service.
 * 2. Sign (SigV4, the SDK's default credential chain: environment, profile, SSO, CodeBuild's
 *    container credentials, instance role) an sts:GetCallerIdentity POST to the regional STS
 *    endpoint, with x-stowage-server-id = the registry's service among the signed headers, and
 *    do NOT send it.
 * 3. POST it to the realm (src/core/auth/iam-login.ts); the registry sends it to STS, maps the
 *    ARN through its policy and answers with a refresh token: the password, printed on stdout.
 *
 * The binding is what the user typed: the service must be the registry URL's host (the stack's
 * default) unless --service names it, so a registry cannot make the CLI sign a login meant for
 * another one; the signed request goes only to a realm on the registry's own origin.
 * Only the AWS deployment with iamLogin on offers this; the embedded server answers that it
 * does not, and the message is printed as is.
 */
import { parseArgs } from 'node:util';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { encodeSignedRequest, IAM_GRANT_TYPE, IAM_LOGIN_USERNAME, IAM_REQUEST_FIELD, IAM_SERVER_ID_HEADER } from '../core/auth/iam-login.js';
import type { SignedHttpRequest } from '../ports/token-issuer.js';
import { argsError, ConfigError } from './config-error.js';

export const LOGIN_USAGE = `usage: stowage login --registry URL [--region REGION] [--service NAME]
  Prints a registry password for the caller's AWS IAM identity (the AWS deployment with
  iamLogin on; the registry's policy must name the identity under principals.iam):

    stowage login --registry https://HOST | docker login --username ${IAM_LOGIN_USERNAME} --password-stdin HOST

  --registry URL     the registry (https://HOST)
  --region REGION    the STS region to sign for (default: AWS_REGION, AWS_DEFAULT_REGION, else
                     the global endpoint sts.amazonaws.com)
  --service NAME     the registry's token service, when it is not the URL's host (a stack with
                     serviceName set); the login is bound to it
`;

const OPTIONS = ['--registry', '--region', '--service', '--help'];
const STS_BODY = 'Action=GetCallerIdentity&Version=2011-06-15';

/** The STS endpoint and signing region for `region` (undefined: the global endpoint, signed for us-east-1). */
export function stsEndpoint(region: string | undefined): { host: string; signingRegion: string } {
  return region ? { host: `sts.${region}.amazonaws.com`, signingRegion: region } : { host: 'sts.amazonaws.com', signingRegion: 'us-east-1' };
}

/** An sts:GetCallerIdentity request signed for `serverId`, not sent. */
export async function signStsLoginRequest(options: {
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  region: string | undefined;
  serverId: string;
  signingDate?: Date;
}): Promise<SignedHttpRequest> {
  const { host, signingRegion } = stsEndpoint(options.region);
  const signer = new SignatureV4({ service: 'sts', region: signingRegion, credentials: options.credentials, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: {},
      headers: { host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', [IAM_SERVER_ID_HEADER]: options.serverId },
      body: STS_BODY,
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return { method: 'POST', url: `https://${host}/`, headers: signed.headers as Record<string, string>, body: STS_BODY };
}

/** realm and service of a Bearer challenge. */
export function parseChallenge(header: string | null): { realm: string; service: string | undefined } | null {
  if (!header || !/^Bearer\s/i.test(header)) return null;
  const params = new Map<string, string>();
  for (const m of header.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) params.set(m[1]!.toLowerCase(), m[2]!.replace(/\\(.)/g, '$1'));
  const realm = params.get('realm');
  return realm ? { realm, service: params.get('service') } : null;
}

export class LoginError extends Error {
  override readonly name = 'LoginError';
  readonly exitCode = 1;
}

/** The registry password for the registry at `registryUrl`. */
export async function iamLogin(options: {
  registry: string;
  region: string | undefined;
  service?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  fetch?: typeof fetch;
}): Promise<string> {
  const send = options.fetch ?? fetch;
  let base: URL;
  try {
    base = new URL(/^[a-z]+:\/\//i.test(options.registry) ? options.registry : `https://${options.registry}`);
  } catch {
    throw new ConfigError(`--registry ${JSON.stringify(options.registry.slice(0, 100))} is not a URL (https://HOST)`);
  }
  const ping = await send(new URL('/v2/', base), { redirect: 'manual' });
  if (ping.status !== 401) {
    throw new LoginError(
      ping.ok ? `${base.origin} asks for no login (GET /v2/ answered ${ping.status})` : `${base.origin}/v2/ answered ${ping.status}, not a registry's 401 challenge`,
    );
  }
  const challenge = parseChallenge(ping.headers.get('www-authenticate'));
  if (!challenge) throw new LoginError(`${base.origin}/v2/ answered 401 without a Bearer challenge: it has no token endpoint to log in at`);
  const realm = new URL(challenge.realm, base);
  if (realm.origin !== base.origin)
    throw new LoginError(`the registry's token realm ${realm.origin} is not on ${base.origin}: stowage login sends the signed request to the registry's own host only`);
  const service = options.service ?? base.host;
  if (challenge.service !== undefined && challenge.service !== service) {
    throw new LoginError(
      options.service
        ? `the registry's service is "${challenge.service}", not "${options.service}" (--service)`
        : `the registry names its service "${challenge.service}", not its host "${base.host}": pass --service ${challenge.service} if this is the registry you mean`,
    );
  }
  const signed = await signStsLoginRequest({ credentials: options.credentials ?? defaultProvider(), region: options.region, serverId: service });
  const form = new URLSearchParams({ grant_type: IAM_GRANT_TYPE, service, [IAM_REQUEST_FIELD]: encodeSignedRequest(signed) });
  const res = await send(realm, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), redirect: 'manual' });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // reported below
  }
  if (!res.ok) {
    const message = (body.errors as { message?: string }[] | undefined)?.[0]?.message ?? text.slice(0, 300);
    throw new LoginError(`${base.host} refused the IAM login (${res.status}): ${message}`);
  }
  if (typeof body.refresh_token !== 'string') throw new LoginError(`${base.host} answered the IAM login without a refresh_token (the registry password)`);
  return body.refresh_token;
}

export async function loginCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let values: { registry?: string; region?: string; service?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { registry: { type: 'string' }, region: { type: 'string' }, service: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw argsError(err, 'login', OPTIONS);
  }
  if (values.help) {
    process.stdout.write(LOGIN_USAGE);
    return;
  }
  if (!values.registry) throw new ConfigError('stowage login needs --registry URL (stowage login --help)');
  const region = values.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  const password = await iamLogin({ registry: values.registry, region, ...(values.service && { service: values.service }) });
  process.stdout.write(`${password}\n`);
}
