/**
 * `GET`/`POST /token`, the Docker token endpoint, as an operation of the one pipeline
 * (Registry.handle routes, audits and answers it like any other). The rules live in
 * ../auth/token-endpoint.ts; the identity provider behind it is a TokenIssuer
 * (ports/token-issuer.ts: the embedded provider, or the Cognito token flow).
 */
import { tokenEndpoint } from '../auth/token-endpoint.js';
import type { TokenEndpointOperation } from '../operation.js';

export const tokenOperation: TokenEndpointOperation = { kind: 'token', operation: 'token', run: tokenEndpoint };
