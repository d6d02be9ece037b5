/**
 * Request logging: one JSON line per request on its way out, however it ends (a result, an
 * error mapped to a result, an early answer from another middleware), with the Lambda request
 * id and API Gateway's own request id, so a client's report can be found in CloudWatch:
 *
 *   {"requestId":"…","apiRequestId":"…","method":"PUT","path":"/v2/app/manifests/v1","status":201,"durationMs":41}
 *
 * Register it first: its cleanup then sees the final status.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { registerCleanup, runCleanups, type MiddlewareLikeObj, type MiddyLikeRequest } from '../middy-like.js';
import { jsonRecordsTo, log as processLog } from '../../../log/logger.js';

type Event = Pick<APIGatewayProxyEvent, 'httpMethod' | 'path'> & { requestContext?: { requestId?: string } };

export interface RequestLogOptions {
  /** Where the line goes. @default the process logger (src/log: stdout, i.e. CloudWatch Logs) */
  log?: (line: string) => void;
  /** @default performance.now */
  now?: () => number;
}

export function requestLog(options: RequestLogOptions = {}): MiddlewareLikeObj<Event, APIGatewayProxyResult> {
  const log = options.log ?? jsonRecordsTo(processLog, 'info', 'request');
  const now = options.now ?? (() => performance.now());
  const flush = (request: MiddyLikeRequest<Event, APIGatewayProxyResult>) => runCleanups(request);
  return {
    before(request) {
      const started = now();
      registerCleanup(request, (done) => {
        log(
          JSON.stringify({
            requestId: done.context?.awsRequestId ?? null,
            apiRequestId: done.event.requestContext?.requestId ?? null,
            method: done.event.httpMethod,
            path: String(done.event.path ?? '').slice(0, 300),
            status: done.response?.statusCode ?? null,
            durationMs: Math.round(now() - started),
          }),
        );
      });
    },
    after: flush,
    onError: flush,
  };
}
