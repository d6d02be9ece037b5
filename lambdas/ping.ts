/** GET and HEAD /v2/: see ./README.md. */
import { pingOperation } from '../src/core/operations/ping.js';
import { gatewayOnlyAuth } from '../src/shells/lambda/auth/gateway-only.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';

// No ports: the ping creates no AWS client. No policy and no token verifier: it has no action to
// authorize, and with auth on the gateway's authorizer has verified the caller.
export const handler = lambdaHandler(pingOperation, { auth: gatewayOnlyAuth });
