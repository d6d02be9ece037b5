/**
 * The wire format of IAM login (`stowage login`), shared by the CLI that builds it and the token
 * endpoint that reads it:
 *
 *   POST /token  (application/x-www-form-urlencoded)
 *     grant_type=urn:stowage:params:oauth:grant-type:aws-iam
 *     service=<the registry's service>
 *     aws_iam_request=base64url(JSON {method, url, headers, body})
 *
 * The JSON is an sts:GetCallerIdentity request the client signed with SigV4 and did not send
 * (as Vault's AWS auth method and aws-iam-authenticator take it). Its signed headers include
 * IAM_SERVER_ID_HEADER with the registry's service, so that a request given to one registry
 * cannot be replayed against another. The answer is the usual token response; its
 * `refresh_token` is the registry password `stowage login` prints for
 * `docker login --username AWS --password-stdin` (IAM_LOGIN_USERNAME).
 */
import type { SignedHttpRequest } from '../../ports/token-issuer.js';

export const IAM_GRANT_TYPE = 'urn:stowage:params:oauth:grant-type:aws-iam';
export const IAM_REQUEST_FIELD = 'aws_iam_request';
/** Signed header binding the STS request to one registry (its token service). */
export const IAM_SERVER_ID_HEADER = 'x-stowage-server-id';
/** The user name docker sends with the registry password `stowage login` prints (as with ECR). */
export const IAM_LOGIN_USERNAME = 'AWS';

const MAX_HEADERS = 32;
const MAX_VALUE = 4096;

/** Encodes a signed request for the form field. */
export function encodeSignedRequest(request: SignedHttpRequest): string {
  return Buffer.from(JSON.stringify(request), 'utf8').toString('base64url');
}

/** The signed request in the form field, or a reason it is not one (the shape only; what it asks of STS is the provider's to check). */
export function decodeSignedRequest(field: string): SignedHttpRequest | string {
  if (field.length > 32 * 1024) return `${IAM_REQUEST_FIELD} is longer than 32 KiB`;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(field, 'base64url').toString('utf8'));
  } catch {
    return `${IAM_REQUEST_FIELD} is not base64url-encoded JSON`;
  }
  if (typeof value !== 'object' || value === null) return `${IAM_REQUEST_FIELD} is not a JSON object`;
  const { method, url, headers, body } = value as Record<string, unknown>;
  if (typeof method !== 'string' || typeof url !== 'string' || typeof body !== 'string') return `${IAM_REQUEST_FIELD} needs method, url and body as strings`;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return `${IAM_REQUEST_FIELD} needs headers as an object`;
  const entries = Object.entries(headers as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) return `${IAM_REQUEST_FIELD} has more than ${MAX_HEADERS} headers`;
  const out: Record<string, string> = {};
  for (const [name, v] of entries) {
    if (typeof v !== 'string' || v.length > MAX_VALUE || !/^[A-Za-z0-9-]{1,64}$/.test(name))
      return `${IAM_REQUEST_FIELD}: header "${name.slice(0, 64)}" is not a header name with a string value`;
    out[name.toLowerCase()] = v;
  }
  return { method, url, headers: out, body };
}
