/**
 * Who may call the registry: a Cognito user pool (people, username + password; no self sign-up),
 * a resource server with `pull`, `push` and `delete` scopes, an app client for people
 * (USER_PASSWORD_AUTH, no secret: the token endpoint calls InitiateAuth with it) and an app client
 * for machines such as CodeBuild (client id + secret, client-credentials grant, the three scopes).
 *
 * The gateway's authorizer checks scopes per method. A machine's access token carries the custom
 * scopes it asked for. A person's access token from InitiateAuth carries only
 * `aws.cognito.signin.user.admin` (custom scopes come only from the OAuth2 endpoints, or from a
 * pre-token-generation trigger, which needs the Essentials plan), so every method also lists
 * that scope: people pass the gateway on any method and the core decides per repository and
 * action from their verified claims. API Gateway accepts a token when ANY of the method's scopes
 * is in it, and with scopes set it requires access tokens (ID tokens are refused).
 */
import { Aws, Duration, Fn, Names } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { acknowledge } from './nag.js';
import type { Action } from '../src/core/routes.js';
import { userPoolClientDefaults, userPoolDefaults } from './defaults.js';

/** The scope every access token a person gets from InitiateAuth carries. */
export const USER_ADMIN_SCOPE = 'aws.cognito.signin.user.admin';

/** The resource server's scopes, one per action a machine can be granted. */
export const SCOPE_NAMES = ['pull', 'push', 'delete'] as const;
export type ScopeName = (typeof SCOPE_NAMES)[number];

/**
 * The scopes a method lists for an action (any one suffices). The ping accepts any registry
 * token; the catalog is a pull-level listing the core filters per repository.
 */
export function scopesForAction(resourceServer: string, action: Action | null): string[] {
  const scope = (name: ScopeName) => `${resourceServer}/${name}`;
  switch (action) {
    case null:
      return [...SCOPE_NAMES.map(scope), USER_ADMIN_SCOPE];
    case 'catalog':
    case 'pull':
      return [scope('pull'), USER_ADMIN_SCOPE];
    case 'push':
      return [scope('push'), USER_ADMIN_SCOPE];
    case 'delete':
      return [scope('delete'), USER_ADMIN_SCOPE];
  }
}

export interface RegistryAuthProps {
  readonly resourceServerIdentifier: string;
  readonly domainPrefix: string | undefined;
  /** Set when anonymous pull or IAM login is on: the REQUEST authorizer's function. */
  readonly anonymousPullAuthorizer?: lambda.IFunction;
  /** IAM login on: every method uses the REQUEST authorizer (it accepts the registry's own tokens). */
  readonly iamLogin?: boolean;
}

/** How a method is authorized. */
export interface MethodAuth {
  readonly authorizer: apigateway.IAuthorizer;
  readonly authorizationType: apigateway.AuthorizationType;
  readonly authorizationScopes?: string[];
}

export class RegistryAuth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly domain: cognito.UserPoolDomain;
  readonly resourceServer: cognito.UserPoolResourceServer;
  /** For people: USER_PASSWORD_AUTH, no secret. */
  readonly userClient: cognito.UserPoolClient;
  /** For machines (CI): client credentials with the pull/push/delete scopes. */
  readonly machineClient: cognito.UserPoolClient;
  /** Undefined with IAM login on: every method then uses the REQUEST authorizer (an unattached authorizer does not synthesize). */
  readonly cognitoAuthorizer: apigateway.CognitoUserPoolsAuthorizer | undefined;
  readonly requestAuthorizer: apigateway.RequestAuthorizer | undefined;
  private readonly identifier: string;
  private readonly everyMethodRequestAuthorizer: boolean;

  constructor(scope: Construct, id: string, props: RegistryAuthProps) {
    super(scope, id);
    this.identifier = props.resourceServerIdentifier;
    this.everyMethodRequestAuthorizer = props.iamLogin === true;
    this.userPool = new cognito.UserPool(this, 'UserPool', userPoolDefaults());
    // cdk-nag: the user pool's findings that are its design.
    acknowledge(this.userPool, {
      'AwsSolutions-COG1': 'passwords of at least 12 characters with upper, lower case and digits; no symbol rule (NIST SP 800-63B advises length over composition)',
      'AwsSolutions-COG2': 'TOTP MFA is optional: docker, podman and CI log in with a password or client secret and cannot answer an MFA challenge',
      'AwsSolutions-COG8': "the Plus feature plan (threat protection) is a per-user monthly price; the registry's own login limiter counts failures instead",
    });

    const prefix =
      props.domainPrefix ??
      Fn.join('', [
        'stowage-',
        Aws.ACCOUNT_ID,
        '-',
        Names.uniqueId(this)
          .toLowerCase()
          .replace(/[^a-z0-9]/g, '')
          .slice(-8),
      ]);
    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: prefix } });

    const scopes = SCOPE_NAMES.map((name) => new cognito.ResourceServerScope({ scopeName: name, scopeDescription: `${name} images` }));
    this.resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: props.resourceServerIdentifier,
      userPoolResourceServerName: 'Stowage registry',
      scopes,
    });

    this.userClient = this.userPool.addClient('UserClient', {
      ...userPoolClientDefaults(),
      generateSecret: false,
      authFlows: { userPassword: true },
      disableOAuth: true,
    });
    this.machineClient = this.userPool.addClient('MachineClient', {
      ...userPoolClientDefaults(),
      generateSecret: true,
      authFlows: {},
      oAuth: {
        flows: { clientCredentials: true },
        scopes: scopes.map((s) => cognito.OAuthScope.resourceServer(this.resourceServer, s)),
      },
    });

    this.cognitoAuthorizer = this.everyMethodRequestAuthorizer
      ? undefined
      : new apigateway.CognitoUserPoolsAuthorizer(this, 'CognitoAuthorizer', {
          cognitoUserPools: [this.userPool],
          identitySource: apigateway.IdentitySource.header('Authorization'),
          resultsCacheTtl: Duration.minutes(5),
        });
    this.requestAuthorizer = props.anonymousPullAuthorizer
      ? new apigateway.RequestAuthorizer(this, 'AnonymousPullAuthorizer', {
          handler: props.anonymousPullAuthorizer,
          // A request without Authorization gets the gateway's 401 (with the challenge) without
          // invoking the function; anonymous clients first fetch an anonymous token.
          identitySources: [apigateway.IdentitySource.header('Authorization')],
          resultsCacheTtl: Duration.seconds(0),
        })
      : undefined;
  }

  /** The Cognito domain's OAuth2 token endpoint (client-credentials grant). */
  get oauthTokenUrl(): string {
    return `${this.domain.baseUrl()}/oauth2/token`;
  }

  /** Authorizer and scopes for a method with this action. */
  methodAuth(action: Action | null): MethodAuth {
    const anonymousAllowed = action === 'pull' || action === null;
    if (this.requestAuthorizer && (anonymousAllowed || this.everyMethodRequestAuthorizer)) {
      return { authorizer: this.requestAuthorizer, authorizationType: apigateway.AuthorizationType.CUSTOM };
    }
    if (!this.cognitoAuthorizer) throw new Error('RegistryAuth: IAM login needs the REQUEST authorizer function (anonymousPullAuthorizer)');
    return {
      authorizer: this.cognitoAuthorizer,
      authorizationType: apigateway.AuthorizationType.COGNITO,
      authorizationScopes: scopesForAction(this.identifier, action),
    };
  }
}
