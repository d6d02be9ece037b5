/**
 * The answers API Gateway gives by itself (authorizer refusals, unmatched paths, limits, its own
 * failures), shaped like the registry's: the spec's JSON error body, Docker-Distribution-API-Version,
 * and on the authentication failures the Docker token challenge.
 *
 * The challenge names the public host, which the API cannot know without a CloudFormation cycle
 * (distribution -> API origin, API -> distribution domain). A gateway response header can only
 * be a literal or ONE request value (no concatenation), so the CloudFront viewer-request function
 * writes the whole challenge into a request header (see edge/viewer-request.ts) and the
 * responses map that header. The function overwrites any value a viewer sends.
 */
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { ERRORS, type ErrorCode, type ErrorKind } from '../src/core/errors.js';
import { API_VERSION_HEADER } from '../src/core/messages.js';

/** Request header carrying `Bearer realm="https://<host>/token",service="<service>"[,scope=...]`. */
export const CHALLENGE_HEADER = 'x-stowage-challenge';
/** Request header carrying the host name the client used. */
export const PUBLIC_HOST_HEADER = 'x-stowage-public-host';
/** Request header carrying the viewer's address as CloudFront saw it (trusted: the function overwrites it). */
export const CLIENT_ADDRESS_HEADER = 'x-stowage-client-address';

export interface GatewayResponseSpec {
  readonly type: apigateway.ResponseType;
  /** Undefined keeps the status API Gateway chose (DEFAULT_5XX). */
  readonly status?: number;
  readonly code: ErrorCode | 'UNKNOWN';
  readonly message: string;
  readonly challenge: boolean;
}

export function gatewayResponseSpecs(): GatewayResponseSpec[] {
  const msg = (kind: ErrorKind) => ERRORS[kind].message;
  return [
    { type: apigateway.ResponseType.UNAUTHORIZED, status: 401, code: 'UNAUTHORIZED', message: msg('UNAUTHORIZED'), challenge: true },
    { type: apigateway.ResponseType.EXPIRED_TOKEN, status: 401, code: 'UNAUTHORIZED', message: 'the token has expired: log in again', challenge: true },
    { type: apigateway.ResponseType.ACCESS_DENIED, status: 403, code: 'DENIED', message: msg('DENIED'), challenge: true },
    {
      type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
      status: 404,
      code: 'NAME_UNKNOWN',
      message: 'no registry endpoint at this path and method: paths look like /v2/<name>/manifests/<reference>',
      challenge: false,
    },
    {
      type: apigateway.ResponseType.INVALID_API_KEY,
      status: 403,
      code: 'DENIED',
      message: 'this endpoint answers only the registry front door: use the registry host name',
      challenge: false,
    },
    {
      type: apigateway.ResponseType.REQUEST_TOO_LARGE,
      status: 413,
      code: 'SIZE_INVALID',
      message:
        'request body too large: API Gateway takes at most 10 MB and a Lambda about 4.5 MiB of binary body; send blobs in smaller chunks, or deploy the upload service, which takes whole layers',
      challenge: false,
    },
    { type: apigateway.ResponseType.THROTTLED, status: 429, code: 'TOOMANYREQUESTS', message: msg('TOOMANYREQUESTS'), challenge: false },
    { type: apigateway.ResponseType.DEFAULT_5XX, code: 'UNKNOWN', message: 'the registry failed to answer; try again', challenge: false },
  ];
}

/** The body template: the spec's error shape, with API Gateway's request id as detail. */
export function errorTemplate(spec: GatewayResponseSpec): string {
  return JSON.stringify({ errors: [{ code: spec.code, message: spec.message, detail: { requestId: '$context.requestId' } }] });
}

export function addGatewayResponses(api: apigateway.RestApi): void {
  const [versionName, versionValue] = Object.entries(API_VERSION_HEADER)[0] as [string, string];
  for (const spec of gatewayResponseSpecs()) {
    const headers: Record<string, string> = {
      [versionName]: `'${versionValue}'`,
      'content-type': "'application/json'",
      'cache-control': "'no-store'",
    };
    if (spec.challenge) headers['www-authenticate'] = `method.request.header.${CHALLENGE_HEADER}`;
    api.addGatewayResponse(spec.type.responseType, {
      type: spec.type,
      ...(spec.status !== undefined && { statusCode: String(spec.status) }),
      responseHeaders: headers,
      templates: { 'application/json': errorTemplate(spec) },
    });
  }
}
