/**
 * Input limits: a request body larger than a Lambda can take is answered 413 SIZE_INVALID with a
 * message naming the limit, before the core runs. Lambda's synchronous invoke payload is 6 MiB
 * (6291456 bytes) for the whole event, and binary bodies arrive base64-encoded, so a little under
 * 4.5 MiB of raw bytes fit: the limit keeps 64 KiB of the payload for the event's headers and
 * request context, so that a body the Lambda says it takes always reaches it (a 4.5 MiB body
 * does not: its base64 alone fills the payload, and API Gateway answers REQUEST_TOO_LARGE). API
 * Gateway itself refuses more than 10 MB. This check makes the limit explicit and holds wherever
 * events come from (the local harness, a changed integration).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { RegistryError } from '../../../core/errors.js';
import { errorResponse } from '../../../core/registry.js';
import { bodyLength } from '../request.js';
import { toProxyResult } from '../response.js';
import { runCleanups, type MiddlewareLikeObj } from '../middy-like.js';

type Event = Pick<APIGatewayProxyEvent, 'httpMethod' | 'body' | 'isBase64Encoded'>;

/** Lambda's synchronous invoke payload limit: the whole event, as JSON. */
export const LAMBDA_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** What the limit keeps for the rest of the event (headers twice, the request context). */
export const EVENT_OVERHEAD_BUDGET_BYTES = 64 * 1024;
/** The largest body whose base64 leaves the budget free: 4669440 bytes (4.45 MiB). */
export const LAMBDA_MAX_BODY_BYTES = Math.floor(((LAMBDA_INVOKE_PAYLOAD_BYTES - EVENT_OVERHEAD_BUDGET_BYTES) * 3) / 4);

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
        'TOO_LARGE',
        `request body of ${size} bytes is over the ${describe(max)} a registry Lambda takes (Lambda's 6 MB invoke payload, base64): send chunks of at most ${describe(max)} with PATCH and Content-Range, or push through the upload service`,
        { detail: { limit: max, size } },
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
