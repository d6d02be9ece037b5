/**
 * What an IAM login's signed request may be, checked before the registry sends it anywhere: an
 * sts:GetCallerIdentity call and nothing else, to an STS endpoint, bound to this registry, signed
 * recently. The registry then sends it exactly as signed (./sts-caller-identity.ts) and trusts
 * the identity STS answers with, as Vault's AWS auth method does.
 *
 * Why each rule:
 * - host allow-list (`sts.amazonaws.com`, `sts.<region>.amazonaws.com`): the registry must never
 *   be made to send a signed request, or trust an answer, from a host the caller picked;
 * - exactly `Action=GetCallerIdentity&Version=2011-06-15` in a POST body to `/`: a signed request
 *   for any other action would be carried out with the caller's credentials;
 * - the signed `x-stowage-server-id` header equal to this registry's service: a request
 *   captured by (or given to) another registry cannot be replayed here, and vice versa;
 * - `X-Amz-Date` within 15 minutes (STS's own window): the message says which way it is off.
 * Every refusal is a LoginRefused naming the rule.
 */
import { IAM_SERVER_ID_HEADER } from '../../core/auth/iam-login.js';
import { LoginRefused, type SignedHttpRequest } from '../../ports/token-issuer.js';

export const STS_ACTION_BODY = 'Action=GetCallerIdentity&Version=2011-06-15';
const STS_HOST = /^sts(\.[a-z]{2}(-[a-z]+)+-\d{1,2})?\.amazonaws\.com$/;
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** STS refuses signatures older (or newer) than this; so does the registry, with a clearer message. */
export const SIGNATURE_WINDOW_MS = 15 * 60 * 1000;

/** Whether `host` is an STS endpoint the registry sends signed requests to. */
export function isStsHost(host: string): boolean {
  return STS_HOST.test(host);
}

function refuse(message: string): never {
  throw new LoginRefused(message);
}

/** Checks the signed request for this registry (`service`) at `now`; returns its URL. Throws LoginRefused. */
export function checkStsLoginRequest(request: SignedHttpRequest, service: string, now: number): URL {
  if (request.method !== 'POST') refuse(`the signed request is a ${request.method.slice(0, 10)}, not the POST of sts:GetCallerIdentity`);
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    refuse('the signed request has no valid URL');
  }
  if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || url.password !== '' || !isStsHost(url.hostname)) {
    refuse(`the signed request goes to ${url.origin.slice(0, 100)}, not to an STS endpoint (https://sts.amazonaws.com or https://sts.<region>.amazonaws.com)`);
  }
  if (url.pathname !== '/' || url.search !== '') refuse('the signed request must be a POST to / without a query string (sts:GetCallerIdentity)');
  const params = new URLSearchParams(request.body);
  if ([...params.keys()].length !== 2 || params.get('Action') !== 'GetCallerIdentity' || params.get('Version') !== '2011-06-15') {
    refuse(`the signed request's body must be exactly ${STS_ACTION_BODY}: only sts:GetCallerIdentity is sent`);
  }
  const h = request.headers;
  if (h.host !== undefined && h.host !== url.host) refuse(`the signed Host header (${h.host.slice(0, 100)}) is not the URL's host`);
  const auth = AUTHORIZATION.exec(h.authorization ?? '');
  if (!auth) refuse('the signed request has no SigV4 Authorization header (AWS4-HMAC-SHA256 with Credential, SignedHeaders and Signature)');
  const [, , , , scopeService, signedHeaders] = auth;
  if (scopeService !== 'sts') refuse(`the request is signed for the ${scopeService} service, not sts`);
  const signed = signedHeaders!.split(';');
  if (!signed.includes('host')) refuse('the signature does not cover the Host header');
  if (!signed.includes(IAM_SERVER_ID_HEADER))
    refuse(`the signature does not cover the ${IAM_SERVER_ID_HEADER} header that binds the login to one registry (stowage login signs it)`);
  const bound = h[IAM_SERVER_ID_HEADER];
  if (bound !== service) {
    refuse(
      `the signed request is bound to registry "${(bound ?? '').slice(0, 100)}" (${IAM_SERVER_ID_HEADER}), not to this one ("${service}"): run stowage login --registry with this registry's URL`,
    );
  }
  const date = AMZ_DATE.exec(h['x-amz-date'] ?? '');
  if (!date) refuse('the signed request has no X-Amz-Date header (YYYYMMDDTHHMMSSZ)');
  const [, y, mo, d, hh, mi, ss] = date.map(Number) as number[];
  const signedAt = Date.UTC(y!, mo! - 1, d!, hh!, mi!, ss!);
  if (now - signedAt > SIGNATURE_WINDOW_MS) {
    refuse(`the signature expired: it was made at ${new Date(signedAt).toISOString()}, more than 15 minutes ago; run stowage login again`);
  }
  if (signedAt - now > SIGNATURE_WINDOW_MS)
    refuse(`the signature is dated ${new Date(signedAt).toISOString()}, more than 15 minutes ahead: check the clock of the machine that signed it`);
  return url;
}
