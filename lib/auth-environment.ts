/**
 * The environment that turns authentication on in the registry's code (src/adapters/aws/
 * cognito-config.ts reads it; the names are the settings' of src/config/settings.ts): every operation Lambda, the anonymous-pull authorizer, the token
 * Lambda and the upload service get the user pool, the app clients whose tokens are accepted,
 * the resource server and the policy; the token Lambda also what it logs in with (the people's
 * client, the OAuth2 token endpoint) and the table holding failed-login counters.
 */
import { Fn } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LOGIN_FAILURES_PK_PREFIX } from '../src/adapters/aws/dynamodb-keys.js';
import { settingsEnvironment } from '../src/config/settings.js';
import type { RegistryAuth } from './auth.js';
import { CLIENT_ADDRESS_HEADER, PUBLIC_HOST_HEADER } from './gateway-responses.js';
import type { RegistryTable } from './table.js';

export interface AuthEnvironmentProps {
  readonly auth: RegistryAuth;
  readonly resourceServerIdentifier: string;
  readonly additionalClientIds: readonly string[];
  /** The policy as compact JSON; undefined: the code's default. */
  readonly policyDocument: string | undefined;
}

/** What every authorizing component reads: pool, accepted clients, scopes, policy, client address. */
export function authEnvironment(p: AuthEnvironmentProps): Record<string, string> {
  return settingsEnvironment({
    auth: 'cognito',
    'cognito.userPoolId': p.auth.userPool.userPoolId,
    'cognito.clientIds': Fn.join(',', [p.auth.userClient.userPoolClientId, p.auth.machineClient.userPoolClientId, ...p.additionalClientIds]),
    'cognito.resourceServer': p.resourceServerIdentifier,
    clientAddressHeader: CLIENT_ADDRESS_HEADER,
    policyDocument: p.policyDocument,
  });
}

/** The token Lambda's additions: how people and machines log in, the limiter's table, the service. */
export function tokenEnvironment(p: AuthEnvironmentProps & { table: RegistryTable; serviceName: string | undefined }): Record<string, string> {
  return {
    ...authEnvironment(p),
    ...settingsEnvironment({
      'cognito.userClientId': p.auth.userClient.userPoolClientId,
      'cognito.oauthTokenUrl': p.auth.oauthTokenUrl,
      dynamodbTable: p.table.table.tableName,
      publicHostHeader: PUBLIC_HOST_HEADER,
      service: p.serviceName,
    }),
  };
}

/**
 * The token Lambda's table access: the failed-login counters only (DynamoDbLoginLimiter), by a
 * leading-key condition on their partition-key prefix. It reads no registry data.
 */
export function loginLimiterStatement(table: RegistryTable): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    resources: [table.table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${LOGIN_FAILURES_PK_PREFIX}*`] } },
  });
}
