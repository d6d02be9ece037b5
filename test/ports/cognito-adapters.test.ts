/** The IdentityProvider contract against the Cognito provider on cognito-local (loopback). */
import { after, before } from 'node:test';
import { CognitoIdentityProvider } from '../../src/adapters/aws/cognito-identity-provider.js';
import { createTestPool, createTestUser, startCognitoLocal, type CognitoLocal, type TestPool } from '../helpers/cognito-local.js';
import { identityProviderSuite } from './identity-provider.suite.js';

const user = { username: 'alice', password: 'Correct-Horse-9' };
let cognito: CognitoLocal;
let pool: TestPool;
before(async () => {
  cognito = await startCognitoLocal();
  pool = await createTestPool(cognito);
  await createTestUser(cognito, pool.userPoolId, user.username, user.password);
});
after(() => cognito.stop());

identityProviderSuite('Cognito identity provider', async () => {
  const { userPoolId, issuer, jwksUri, userClientId } = pool;
  const provider = new CognitoIdentityProvider({
    userPoolId,
    issuer,
    jwksUri,
    userClientId,
    clientIds: [userClientId],
    resourceServer: 'stowage',
    cognito: cognito.client,
    log: () => {},
  });
  return { provider, user, service: 'registry.test' };
});
