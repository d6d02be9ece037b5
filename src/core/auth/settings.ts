/** What the core needs to enforce authentication and authorization (absent: auth is off). */
import type { IdentityProvider } from '../../ports/identity-provider.js';
import type { LoginLimiter } from '../../ports/login-limiter.js';
import type { ChallengeParams } from './challenge.js';
import type { Policy } from './policy.js';

export interface AuthSettings extends ChallengeParams {
  provider: IdentityProvider;
  policy: Policy;
  /** Failed logins at the token endpoint, per principal and per client address. */
  limiter: LoginLimiter;
}
