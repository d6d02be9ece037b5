/**
 * The Lambda's place in the request observer chain (../../observe.ts), the same one the node
 * server uses: one access line per request on its way out, however it ends (a result, an error
 * mapped to a result, an early answer from another middleware), with the fields and the request
 * id of the node server's, the X-Request-Id response header, and the request's figures to the
 * metrics observer the entry chose (CloudWatch embedded metrics, ../../observe-emf.ts; none for
 * the ping).
 *
 *   {"timestamp":"…","level":"INFO","requestId":"…","message":"request","service":"stowage",
 *    "clientAddress":"…","user":"alice","method":"PUT","operation":"putManifest","repository":"app",
 *    "status":201,"bytesIn":1234,"bytesOut":0,"durationMs":41}
 *
 * The request id is the client's X-Request-Id when it is safe, else API Gateway's request id
 * (what its access log and a client's support request show), else the Lambda's. The bare handler
 * calls Registry.handle through `observedHandle`, so the core's audit line carries the same id,
 * every log line written meanwhile carries it, and the access line gets the core's facts (user,
 * operation, repository).
 *
 * The log level comes from STOWAGE_LOG_LEVEL (the stack's logLevel prop) when it is set, read
 * through src/config/setting-env.ts (no settings table: the ping bundles this module too).
 *
 * Register it first: its cleanup then sees the final status.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { registerCleanup, runCleanups, type MiddlewareLikeObj, type MiddyLikeRequest } from '../middy-like.js';
import { createLogger, log as processLog, setLogLevel, withLogFields } from '../../../log/logger.js';
import type { HandledResponse } from '../../../core/registry.js';
import { envChoice, LOG_LEVEL_ENV, LOG_LEVELS } from '../../../config/setting-env.js';
import { accessLog, REQUEST_ID_HEADER, startRequest, type ObservedRequest, type RequestObserver } from '../../observe.js';
import { bodyLength, headerOf } from '../request.js';
import { publicPath } from '../routed-name.js';

type Event = Pick<APIGatewayProxyEvent, 'httpMethod' | 'path' | 'body' | 'isBase64Encoded'> &
  Partial<Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>> & {
    requestContext?: { requestId?: string; identity?: { sourceIp?: string | null } } | null;
  };

export interface RequestLogOptions {
  /** Where the access line goes, as one JSON line. @default the process logger (src/log: stdout, i.e. CloudWatch Logs) */
  log?: (line: string) => void;
  /** The metrics observer (CloudWatch embedded metrics: ../../observe-emf.ts). @default none */
  metrics?: RequestObserver;
  /** @default performance.now */
  now?: () => number;
}

/** The request each event is being observed as, for the bare handler (middy passes it the same event object). */
const OBSERVED = new WeakMap<object, ObservedRequest>();

export function requestLog(options: RequestLogOptions = {}): MiddlewareLikeObj<Event, APIGatewayProxyResult> {
  applyLogLevel();
  const log = options.log ? createLogger({ write: options.log }) : processLog;
  const observers = [accessLog(log), ...(options.metrics ? [options.metrics] : [])];
  const flush = (request: MiddyLikeRequest<Event, APIGatewayProxyResult>) => runCleanups(request);
  return {
    before(request) {
      const event = request.event;
      const observed = startRequest(
        observers,
        {
          method: event.httpMethod?.toUpperCase() ?? 'GET',
          path: publicPath(event),
          headers: { [REQUEST_ID_HEADER]: headerOf(event, REQUEST_ID_HEADER) },
          remoteAddress: event.requestContext?.identity?.sourceIp ?? null,
          ...platformRequestId(event, request.context),
        },
        options.now,
      );
      observed.addBytesIn(bodyLength(event));
      OBSERVED.set(event, observed);
      registerCleanup(request, (done) => {
        const response = done.response;
        if (response) {
          response.multiValueHeaders = { ...response.multiValueHeaders, [REQUEST_ID_HEADER]: [observed.requestId] };
        }
        observed.finish({ status: response?.statusCode ?? 500, bytesOut: response ? bodyLength(response) : 0 });
      });
    },
    after: flush,
    onError: flush,
  };
}

/**
 * Runs the core for an event under its request id: the one the middleware chose (or the
 * platform's, without the middleware), in every log line meanwhile; the core's facts go to the
 * access line.
 */
export async function observedHandle(
  event: object & Pick<Event, 'requestContext'>,
  context: { awsRequestId?: string } | undefined,
  handle: (requestId: string | undefined) => Promise<HandledResponse>,
): Promise<HandledResponse> {
  const observed = OBSERVED.get(event);
  const requestId = observed?.requestId ?? platformRequestId(event, context).platformRequestId;
  const res = requestId === undefined ? await handle(undefined) : await withLogFields({ requestId }, () => handle(requestId));
  observed?.noteFacts(res.facts);
  return res;
}

/** The id the middleware gave this event's request, for lines written outside the core (the error mapping's). */
export function observedRequestId(event: object): string | undefined {
  return OBSERVED.get(event)?.requestId;
}

/** The request id when the client sends none: API Gateway's, else the Lambda's. */
function platformRequestId(event: Pick<Event, 'requestContext'>, context: { awsRequestId?: string } | undefined): { platformRequestId?: string } {
  const id = event.requestContext?.requestId ?? context?.awsRequestId;
  return id ? { platformRequestId: id } : {};
}

/** STOWAGE_LOG_LEVEL when set and valid; otherwise Powertools' own (AWS_LAMBDA_LOG_LEVEL, POWERTOOLS_LOG_LEVEL, info). */
function applyLogLevel(): void {
  const { value, problem } = envChoice(process.env, LOG_LEVEL_ENV, LOG_LEVELS);
  if (value) setLogLevel(value);
  else if (problem) processLog.warn(`${problem}: keeping the default level`);
}
