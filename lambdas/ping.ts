/** GET and HEAD /v2/: see ./README.md. */
import { pingOperation } from '../src/core/operations/ping.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { pingContainer } from '../src/shells/lambda/ping-container.js';

// No ports: the ping creates no AWS client. No policy, token verifier or claims reader: it has no
// action to authorize, and with auth on the gateway's authorizer answers the 401 challenge first. No metrics: API
// Gateway's own per-method metrics count the pings, so this bundle carries no EMF library. It
// reads only its few settings (pingContainer), so it carries no settings table and no zod.
export const handler = lambdaHandler(pingOperation, { container: pingContainer });
