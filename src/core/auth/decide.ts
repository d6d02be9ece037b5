/**
 * The authorization decision: may this principal do this action on this repository?
 *
 *   allowed = (policy allows it  AND  the token's grant covers it)  OR  anonymous pull allows it
 *
 * The second term keeps a token from ever doing less than no token at all: a repository anyone
 * may pull stays pullable with a token that was issued for something else.
 */
import type { Action } from '../routes.js';
import { expandActions } from './access.js';
import type { AccessPolicy } from './settings.js';
import type { Principal, TokenGrant } from './principal.js';

/** Whether a token's grant covers the action (the policy is checked separately). */
export function grantCovers(grant: TokenGrant, repository: string | null, action: Action): boolean {
  switch (grant.kind) {
    case 'unrestricted':
      return true;
    case 'actions':
      return grant.actions.includes(action);
    case 'access':
      return grant.access.some((e) =>
        action === 'catalog'
          ? e.type === 'registry' && e.name === 'catalog' && e.actions.includes('*')
          : e.type === 'repository' && e.name === repository && expandActions(e.actions).has(action),
      );
  }
}

export function isAllowed(policy: AccessPolicy, principal: Principal, repository: string | null, action: Action): boolean {
  if (action === 'pull' && repository !== null && policy.anonymousMayPull(repository)) return true;
  return policy.allows(principal, repository, action) && grantCovers(principal.grant, repository, action);
}
