/**
 * Error mapping: whatever escapes the handler becomes a spec-shaped response. A RegistryError is
 * answered as the core answers it (errorResponse, the one mapping); anything else is a bug or an
 * outage: the core's 500 (internalErrorResponse: code UNKNOWN, the spec's JSON error body), and
 * the error logged with the request id. A HEAD gets the same status and headers, no body.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { RegistryError } from '../../../core/errors.js';
import { errorResponse, internalErrorResponse } from '../../../core/error-response.js';
import { toProxyResult } from '../response.js';
import type { MiddlewareLikeObj } from '../middy-like.js';
import { jsonRecordsTo, log as processLog } from '../../../log/logger.js';
import { observedRequestId } from './request-log.js';
import { publicPath } from '../routed-name.js';

type Event = Pick<APIGatewayProxyEvent, 'httpMethod' | 'path'>;

export interface ErrorMappingOptions {
  /** Where unexpected errors are reported. @default the process logger (src/log) */
  log?: (line: string) => void;
}

export function errorMapping(options: ErrorMappingOptions = {}): MiddlewareLikeObj<Event, APIGatewayProxyResult> {
  const log = options.log ?? jsonRecordsTo(processLog, 'error', 'unexpected error');
  return {
    onError(request) {
      const head = request.event.httpMethod?.toUpperCase() === 'HEAD';
      const err = request.error;
      if (err instanceof RegistryError) {
        request.response = toProxyResult(errorResponse(err, head), head);
        return;
      }
      log(
        JSON.stringify({
          level: 'error',
          requestId: observedRequestId(request.event) ?? request.context?.awsRequestId ?? null,
          method: request.event.httpMethod,
          path: publicPath(request.event).slice(0, 300),
          error: err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err),
        }),
      );
      request.response = toProxyResult(internalErrorResponse(head), head);
    },
  };
}
