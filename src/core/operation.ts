/**
 * What an operation registers with the Registry (registry.ts): the route-table operation it
 * serves, the ports it uses and the function that runs it. Each module under ./operations/
 * exports one descriptor per operation, and a shell hands the Registry exactly the descriptors
 * it serves: the node server all of them (./operations/all.ts), a Lambda its own one, so that
 * its bundle carries that operation's code and nothing else.
 */
import type { RegistryContext, PortName } from './context.js';
import type { RegistryRequest, RegistryResponse } from './messages.js';
import type { Operation } from './routes.js';
import type { TokenOutcome, TokenRequestInput, TokenSettings } from './auth/token-endpoint.js';

/** An operation of the `/v2/` API: behind the authorization gate, run with the ports. */
export interface RegistryOperation {
  kind: 'registry';
  operation: Operation;
  /** The ports `run` uses; the Registry refuses to be built without them. */
  ports: readonly PortName[];
  /** `name` is the validated repository name ('' for routes without one). */
  run(ctx: RegistryContext, name: string, req: RegistryRequest): Promise<RegistryResponse>;
}

/** The Docker token endpoint (`/token`): no gate (it takes credentials), run with the auth settings. */
export interface TokenEndpointOperation {
  kind: 'token';
  operation: 'token';
  run(settings: TokenSettings, input: TokenRequestInput): Promise<TokenOutcome>;
}

export type OperationDescriptor = RegistryOperation | TokenEndpointOperation;
