/** GET and HEAD /v2/: see ./README.md. */
import { pingOperation } from '../src/core/operations/ping.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';

// No ports: the ping creates no AWS client.
export const handler = lambdaHandler(pingOperation);
