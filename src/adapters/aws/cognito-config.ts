/**
 * Cognito settings from the environment, the same variables for `stowage serve --auth cognito`
 * (the upload service, a container elsewhere) and every Lambda of the stack: the `cognito.*`
 * settings of src/config/settings.ts (user pool, accepted app clients, the people's client and
 * the OAuth2 token endpoint for the token endpoint, resource server, region, and issuer / key
 * set overrides for emulators).
 *
 * The Cognito API endpoint follows the AWS SDK's standard configuration
 * (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER for an emulator).
 */
import { SETTINGS, USER_POOL_ID } from '../../config/settings.js';
import { EnvReader } from '../../config/env-reader.js';
import { acceptedClientIds } from './cognito-claims.js';

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

export function cognitoConfigFromEnv(env: NodeJS.ProcessEnv = process.env): CognitoConfig {
  const read = new EnvReader(env);
  const S = SETTINGS;
  const userPoolId = read.required(S['cognito.userPoolId']) ?? '';
  const userClientId = read.optional(S['cognito.userClientId']);
  const clientIds = acceptedClientIds(read.optional(S['cognito.clientIds']) ?? [], userClientId);
  if (clientIds.length === 0 && !read.problems.some((p) => p.startsWith(S['cognito.clientIds'].env))) {
    read.problems.push(`${S['cognito.clientIds'].env} is not set (the app clients whose tokens the registry accepts)`);
  }
  const poolRegion = USER_POOL_ID.exec(userPoolId)?.[1];
  const region = read.optional(S['cognito.region']) || (poolRegion !== 'local' ? poolRegion : undefined) || env.AWS_REGION || '';
  if (!region) read.problems.push(`${S['cognito.region'].env} is not set and the pool id names no region`);
  const oauthTokenUrl = read.optional(S['cognito.oauthTokenUrl']);
  const issuer = read.optional(S['cognito.issuer']);
  const jwksUri = read.optional(S['cognito.jwksUri']);
  if (jwksUri && !issuer) read.problems.push(`${S['cognito.jwksUri'].env} needs ${S['cognito.issuer'].env}`);
  const resourceServer = read.required(S['cognito.resourceServer']);
  read.check('Cognito configuration');
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
