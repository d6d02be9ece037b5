/**
 * The 401 answer that starts the Docker token flow. Docker learns the token realm only from
 * this header (on the ping, `GET /v2/`); the scope tells the client which token to ask for.
 */
import { RegistryError } from '../errors.js';
import type { Action } from '../routes.js';

export interface ChallengeParams {
  /** The token endpoint's public URL. */
  realm: string;
  service: string;
}

/** The scope a client needs for a route: push needs pull too (docker asks for both). */
export function challengeScope(repository: string | null, action: Action | null): string | null {
  if (action === 'catalog') return 'registry:catalog:*';
  if (action === null || repository === null) return null;
  return `repository:${repository}:${action === 'push' ? 'pull,push' : action}`;
}

const quoted = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`;

export function bearerChallenge(params: ChallengeParams, scope: string | null): string {
  const parts = [`Bearer realm=${quoted(params.realm)}`, `service=${quoted(params.service)}`];
  if (scope) parts.push(`scope=${quoted(scope)}`);
  return parts.join(',');
}

export function unauthorized(params: ChallengeParams, scope: string | null, message = 'authentication required: log in (docker login) and retry'): RegistryError {
  return new RegistryError('UNAUTHORIZED', message, {
    challenge: { realm: params.realm, service: params.service, scope },
    ...(scope
      ? { detail: [{ Type: scope.split(':')[0], Name: scope.slice(scope.indexOf(':') + 1, scope.lastIndexOf(':')), Action: scope.slice(scope.lastIndexOf(':') + 1) }] }
      : {}),
  });
}

/** A refusal for an authenticated caller (an anonymous one gets `unauthorized`: it may still log in). */
export function denied(repository: string | null, action: Action): RegistryError {
  const what = action === 'catalog' ? 'list the catalog' : `${action} ${repository ?? ''}`;
  return new RegistryError('DENIED', `requested access to the resource is denied: this credential may not ${what}`, {
    detail: action === 'catalog' ? null : { name: repository, action },
  });
}
