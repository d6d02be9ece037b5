/**
 * Cognito settings from the environment, the same variables for `stowage serve --auth cognito`
 * (the upload service, a container elsewhere) and every Lambda of the stack. Parsed by hand
 * (no zod) so that Lambda bundles stay small.
 *
 *   STOWAGE_COGNITO_USER_POOL_ID     the user pool, `<region>_<id>` (required)
 *   STOWAGE_COGNITO_CLIENT_IDS       app clients whose access tokens are accepted, comma-separated
 *                                    (required; the user client below is added to it)
 *   STOWAGE_COGNITO_USER_CLIENT_ID   the people's app client for InitiateAuth (token endpoint only)
 *   STOWAGE_COGNITO_OAUTH_TOKEN_URL  the pool domain's /oauth2/token, for machines (token endpoint only)
 *   STOWAGE_COGNITO_RESOURCE_SERVER  resource server identifier of the scopes (default `stowage`)
 *   STOWAGE_COGNITO_REGION           default: the pool id's region
 *   STOWAGE_COGNITO_ISSUER           override, for emulators (default: Cognito's issuer of the pool)
 *   STOWAGE_COGNITO_JWKS_URI         override, for emulators (default: <issuer>/.well-known/jwks.json)
 *
 * The Cognito API endpoint follows the AWS SDK's standard configuration
 * (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER for an emulator).
 */
export interface CognitoConfig {
  userPoolId: string;
  region: string;
  clientIds: string[];
  userClientId?: string;
  oauthTokenUrl?: string;
  resourceServer: string;
  issuer?: string;
  jwksUri?: string;
}

const POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+|local)_[A-Za-z0-9]+$/;
const CLIENT_ID = /^[A-Za-z0-9_+]{1,128}$/;

export function cognitoConfigFromEnv(env: NodeJS.ProcessEnv = process.env): CognitoConfig {
  const problems: string[] = [];
  const userPoolId = env.STOWAGE_COGNITO_USER_POOL_ID ?? '';
  const pool = POOL_ID.exec(userPoolId);
  if (!pool) problems.push(userPoolId ? `STOWAGE_COGNITO_USER_POOL_ID "${userPoolId.slice(0, 60)}" is not a user pool id (<region>_<id>)` : 'STOWAGE_COGNITO_USER_POOL_ID is not set');
  const userClientId = env.STOWAGE_COGNITO_USER_CLIENT_ID || undefined;
  const clientIds = [...new Set([...(env.STOWAGE_COGNITO_CLIENT_IDS ?? '').split(',').map((s) => s.trim()).filter(Boolean), ...(userClientId ? [userClientId] : [])])];
  if (clientIds.length === 0) problems.push('STOWAGE_COGNITO_CLIENT_IDS is not set (the app clients whose tokens the registry accepts)');
  for (const id of clientIds) if (!CLIENT_ID.test(id)) problems.push(`"${id.slice(0, 60)}" is not an app client id`);
  const region = env.STOWAGE_COGNITO_REGION || (pool?.[1] !== 'local' ? pool?.[1] : undefined) || env.AWS_REGION || '';
  if (!region) problems.push('STOWAGE_COGNITO_REGION is not set and the pool id names no region');
  const url = (name: string): string | undefined => {
    const value = env[name];
    if (!value) return undefined;
    try {
      const u = new URL(value);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
    } catch {
      problems.push(`${name} is not a URL`);
    }
    return value;
  };
  const oauthTokenUrl = url('STOWAGE_COGNITO_OAUTH_TOKEN_URL');
  const issuer = url('STOWAGE_COGNITO_ISSUER');
  const jwksUri = url('STOWAGE_COGNITO_JWKS_URI');
  if (jwksUri && !issuer) problems.push('STOWAGE_COGNITO_JWKS_URI needs STOWAGE_COGNITO_ISSUER');
  const resourceServer = env.STOWAGE_COGNITO_RESOURCE_SERVER || 'stowage';
  if (problems.length > 0) throw new Error(`Cognito configuration: ${problems.join('; ')}`);
  return {
    userPoolId,
    region,
    clientIds,
    resourceServer,
    ...(userClientId && { userClientId }),
    ...(oauthTokenUrl && { oauthTokenUrl }),
    ...(issuer && { issuer }),
    ...(jwksUri && { jwksUri }),
  };
}
