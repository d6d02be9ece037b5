/**
 * Input limits: a request body larger than a Lambda can take is answered 413 SIZE_INVALID with a
 * message naming the limit, before the core runs. Lambda's synchronous invoke payload is 6 MB and
 * binary bodies arrive base64-encoded, so about 4.5 MiB of raw bytes fit; API Gateway itself
 * refuses more than 10 MB (its REQUEST_TOO_LARGE gateway response, not ours). On AWS an event
 * over the payload limit never reaches the function; this check makes the limit explicit and
 * holds wherever events come from (the local harness, a changed integration).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { RegistryError } from '../../../core/errors.js';
import { errorResponse } from '../../../core/registry.js';
import { bodyLength } from '../request.js';
import { toProxyResult } from '../response.js';
import { runCleanups, type MiddlewareLikeObj } from '../middy-like.js';

type Event = Pick<APIGatewayProxyEvent, 'httpMethod' | 'body' | 'isBase64Encoded'>;

/** 6 MiB of base64 decodes to 4.5 MiB; headers and the event's JSON take a little of it. */
export const LAMBDA_MAX_BODY_BYTES = 4.5 * 1024 * 1024;

export interface InputLimitsOptions {
  /** Largest decoded request body, in bytes. @default LAMBDA_MAX_BODY_BYTES */
  maxBodyBytes?: number;
}

export function inputLimits(options: InputLimitsOptions = {}): MiddlewareLikeObj<Event, APIGatewayProxyResult> {
  const max = options.maxBodyBytes ?? LAMBDA_MAX_BODY_BYTES;
  return {
    async before(request) {
      const size = bodyLength(request.event);
      if (size <= max) return undefined;
      const err = new RegistryError(
        'SIZE_INVALID',
        `request body of ${size} bytes is over the ${describe(max)} a registry Lambda takes (Lambda's 6 MB invoke payload, base64): send chunks of at most ${describe(max)} with PATCH and Content-Range, or push through the upload service`,
        { status: 413, detail: { limit: max, size } },
      );
      const head = request.event.httpMethod?.toUpperCase() === 'HEAD';
      const result = toProxyResult(errorResponse(err, head), head);
      // An early answer skips every `after` hook: run the registered cleanups (the request log) now.
      request.response = result;
      await runCleanups(request);
      return result;
    },
  };
}

function describe(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib * 10) && mib >= 1 ? `${mib} MiB (${bytes} bytes)` : `${bytes} bytes`;
}
