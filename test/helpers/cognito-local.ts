/**
 * cognito-local (the npm emulator) started in-process on loopback by the tests: user pools, app
 * clients, AdminCreateUser/AdminSetUserPassword, groups, InitiateAuth USER_PASSWORD_AUTH and
 * REFRESH_TOKEN_AUTH, RS256 tokens and the pool's JWKS at `/<poolId>/.well-known/jwks.json`.
 *
 * Built from its parts as its own createDefaultServer() does, but with a temporary data
 * directory (not `./.cognito`), a silent logger and the issuer set to the port it really got
 * (the token generator keeps a reference to the TokenConfig object, which is updated once the
 * server listens). What it does NOT have, and what tests therefore take elsewhere: resource
 * servers and custom scopes, and the OAuth2 client-credentials grant (see
 * ./local-oauth2-token-endpoint.ts). Access tokens carry `client_id`, `username`,
 * `cognito:groups` and the scope `aws.cognito.signin.user.admin`, and no `aud`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { JWK } from 'jose';
import { TEST_CREDENTIALS } from './aws-emulators.js';

const require = createRequire(import.meta.url);
// cognito-local loads the AWS SDK v2 (for Lambda triggers, unused here), which prints an end-of-support notice.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
/** Resolves modules the way cognito-local does (its logger, pino, is its own dependency). */
const fromCognitoLocal = createRequire(require.resolve('cognito-local'));

// cognito-local is CommonJS and exports these parts only from its lib/ files: require them, typed by their own .d.ts.
const services = require('cognito-local/lib/services/index.js') as typeof import('cognito-local/lib/services/index.js');
const { CognitoServiceFactoryImpl } = require('cognito-local/lib/services/cognitoService.js') as typeof import('cognito-local/lib/services/cognitoService.js');
const { CryptoService } = require('cognito-local/lib/services/crypto.js') as typeof import('cognito-local/lib/services/crypto.js');
const { StormDBDataStoreFactory } = require('cognito-local/lib/services/dataStore/stormDb.js') as typeof import('cognito-local/lib/services/dataStore/stormDb.js');
const { ConsoleMessageSender } =
  require('cognito-local/lib/services/messageDelivery/consoleMessageSender.js') as typeof import('cognito-local/lib/services/messageDelivery/consoleMessageSender.js');
const { MessageDeliveryService } =
  require('cognito-local/lib/services/messageDelivery/messageDelivery.js') as typeof import('cognito-local/lib/services/messageDelivery/messageDelivery.js');
const { otp } = require('cognito-local/lib/services/otp.js') as typeof import('cognito-local/lib/services/otp.js');
const { JwtTokenGenerator } = require('cognito-local/lib/services/tokenGenerator.js') as typeof import('cognito-local/lib/services/tokenGenerator.js');
const { UserPoolServiceFactoryImpl } = require('cognito-local/lib/services/userPoolService.js') as typeof import('cognito-local/lib/services/userPoolService.js');
const { DefaultConfig } = require('cognito-local/lib/server/config.js') as typeof import('cognito-local/lib/server/config.js');
const { Router } = require('cognito-local/lib/server/Router.js') as typeof import('cognito-local/lib/server/Router.js');
const { createServer } = require('cognito-local') as { createServer: (router: unknown, logger: unknown, options: unknown, services: unknown) => { start(): Promise<Server> } };
const pino = fromCognitoLocal('pino') as (options: { level: string }) => import('cognito-local/lib/services/LogService.js').LogService;

export const COGNITO_TEST_REGION = 'us-east-1';

/**
 * cognito-local's signing key (it ships in the package: every cognito-local signs with it).
 * Tests use it to sign tokens the pool's JWKS verifies: expired ones, other claims, and the
 * machine tokens of the local OAuth2 endpoint.
 */
export const COGNITO_LOCAL_PRIVATE_JWK = (require('cognito-local/lib/keys/cognitoLocal.private.json') as { jwk: JWK }).jwk;

export interface CognitoLocal {
  /** `http://127.0.0.1:PORT`: the endpoint for the SDK and the issuer domain. */
  endpoint: string;
  /** An SDK client pointed at it (admin calls need no real credentials here). */
  client: CognitoIdentityProviderClient;
  stop(): Promise<void>;
}

export async function startCognitoLocal(): Promise<CognitoLocal> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-cognito-'));
  const logger = pino({ level: 'silent' });
  const ctx = { logger };
  const tokenConfig = { IssuerDomain: 'http://127.0.0.1' };
  const config = { ...DefaultConfig, TokenConfig: tokenConfig, TriggerFunctions: {}, UserPoolDefaults: { UsernameAttributes: [] } };
  const clock = new services.DateClock();
  const dataStoreFactory = new StormDBDataStoreFactory(join(dir, 'db'));
  const cognitoFactory = new CognitoServiceFactoryImpl(join(dir, 'db'), dataStoreFactory, new UserPoolServiceFactoryImpl(clock, dataStoreFactory));
  const cognito = await cognitoFactory.create(ctx, config.UserPoolDefaults);
  // No Lambda triggers are configured, so the Lambda client is never called (hence a stub, not an SDK v2 client).
  const neverCalledLambdaClient = { invoke: () => Promise.reject(new Error('no Lambda triggers in tests')) } as unknown as ConstructorParameters<typeof services.LambdaService>[1];
  const lambda = new services.LambdaService({}, neverCalledLambdaClient);
  const triggers = new services.TriggersService(clock, cognito, lambda, new CryptoService({}));
  const all = {
    clock,
    cognito,
    config,
    messages: new services.MessagesService(triggers, new MessageDeliveryService(new ConsoleMessageSender())),
    otp,
    tokenGenerator: new JwtTokenGenerator(clock, triggers, tokenConfig),
    triggers,
  };
  const server = await createServer(Router(all), logger, { port: 0, hostname: '127.0.0.1', https: false, development: false }, all).start();
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tokenConfig.IssuerDomain = endpoint;
  const client = new CognitoIdentityProviderClient({ endpoint, region: COGNITO_TEST_REGION, credentials: TEST_CREDENTIALS });
  return {
    endpoint,
    client,
    async stop() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestPool {
  userPoolId: string;
  /** The people's app client (USER_PASSWORD_AUTH, no secret), as the stack makes it. */
  userClientId: string;
  /** Another app client of the same pool, whose tokens the registry must refuse. */
  otherClientId: string;
  issuer: string;
  jwksUri: string;
}

/** A pool with two app clients, as the stack makes them (minus what cognito-local lacks). */
export async function createTestPool(cognito: CognitoLocal, options: { accessTokenValiditySeconds?: number } = {}): Promise<TestPool> {
  const { UserPool } = await cognito.client.send(new CreateUserPoolCommand({ PoolName: 'stowage', UsernameAttributes: [], AliasAttributes: ['email'] }));
  const userPoolId = UserPool!.Id!;
  const validity =
    options.accessTokenValiditySeconds === undefined ? {} : { AccessTokenValidity: options.accessTokenValiditySeconds, TokenValidityUnits: { AccessToken: 'seconds' as const } };
  const makeClient = async (name: string) =>
    (
      await cognito.client.send(
        new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: name, ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'], ...validity }),
      )
    ).UserPoolClient!.ClientId!;
  const userClientId = await makeClient('people');
  const otherClientId = await makeClient('some-other-app');
  const issuer = `${cognito.endpoint}/${userPoolId}`;
  return { userPoolId, userClientId, otherClientId, issuer, jwksUri: `${issuer}/.well-known/jwks.json` };
}

/** A confirmed user with a permanent password, in the given groups. */
export async function createTestUser(cognito: CognitoLocal, userPoolId: string, username: string, password: string, groups: string[] = []): Promise<void> {
  await cognito.client.send(
    new AdminCreateUserCommand({ UserPoolId: userPoolId, Username: username, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: `${username}@example.com` }] }),
  );
  await cognito.client.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: username, Password: password, Permanent: true }));
  for (const group of groups) {
    await cognito.client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: group })).catch((err: { name?: string }) => {
      if (err.name !== 'GroupExistsException') throw err;
    });
    await cognito.client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: group }));
  }
}
