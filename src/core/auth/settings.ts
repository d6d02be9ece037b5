/** What the core needs to enforce authentication and authorization (absent: auth is off). */
import type { IdentityProvider } from '../../ports/identity-provider.js';
import type { LoginLimiter } from '../../ports/login-limiter.js';
import type { ChallengeParams } from './challenge.js';
import type { Policy } from './policy.js';

/**
 * The decisions the gate asks of a policy. A structural type rather than the class, so that a
 * component whose routes never consult the policy (the ping's Lambda) can pass a stand-in
 * without the document parser (zod) in its bundle.
 */
export type AccessPolicy = Pick<Policy, 'allows' | 'anonymousMayPull' | 'namesPrincipal'>;

export interface AuthSettings extends ChallengeParams {
  provider: IdentityProvider;
  policy: AccessPolicy;
  /** Failed logins at the token endpoint, per principal and per client address. */
  limiter: LoginLimiter;
}
