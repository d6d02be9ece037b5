/**
 * The REST API, generated from the route table, in a fixed route shape. Repository names contain
 * slashes, API Gateway's greedy variable ({proxy+}) must be the last segment and API Gateway
 * never backtracks out of a literal resource, so no resource tree routes every name. Instead the
 * front door's viewer-request function rewrites `/v2/<name>/<kind>/<ref>` into
 * `/v2/_r/<kind>/<ref>` with the name in a header (src/shells/lambda/routed-name.ts), and each
 * route is ONE resource: `/v2/{name}/manifests/{reference}` becomes `/v2/_r/manifests/{reference}`.
 * Names of any depth and with any component route as on embedded; the Lambda shell puts the
 * name back into the path before the core sees it.
 *
 * Every registry method, the ping included, has an authorizer (auth.ts) and requires the API key
 * that only the CloudFront distribution sends (direct calls to the execute-api URL are refused).
 * Each function gets ONE invoke permission for the whole API (not two per method), which keeps
 * the stack far below CloudFormation's 500 resources.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ROUTES, type Route } from '../src/core/routes.js';
import { ROUTED_PREFIX } from '../src/shells/lambda/routed-name.js';
import type { RegistryAuth } from './auth.js';
import { logGroupDefaults } from './defaults.js';
import { addGatewayResponses, CHALLENGE_HEADER } from './gateway-responses.js';
import type { OperationFunctions } from './functions.js';
import { acknowledge } from './nag.js';

/** Operation name of the ANY methods that answer 405 for the methods a route lacks. */
export const METHOD_NOT_ALLOWED_OPERATION = 'methodNotAllowed';

/** API Gateway's header for API keys; CloudFront adds it to every request to the API origin. */
export const API_KEY_HEADER = 'x-api-key';

/** The fixed segment that stands for the repository name in the API's resources (`_r`). */
const NAME_SEGMENT = ROUTED_PREFIX.split('/').filter(Boolean)[1] as string;

/** Resource path of a route: `{name}` becomes the fixed `_r` segment (`/v2/_r/manifests/{reference}`). */
export function resourcePath(route: Route): string {
  return `/${route.path
    .split('/')
    .filter(Boolean)
    .map((s) => (s === '{name}' ? NAME_SEGMENT : s))
    .join('/')}`;
}

/** Every route the API serves, each at its one resource. */
export function routeInstances(): { route: Route; path: string }[] {
  return ROUTES.map((route) => ({ route, path: resourcePath(route) }));
}

export interface RegistryApiProps {
  readonly auth: RegistryAuth;
  readonly functions: OperationFunctions;
  /** Answers `/token` (GET and POST, no authorizer). */
  readonly tokenFunction: lambda.IFunction;
  readonly stageName: string;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly logRetention: logs.RetentionDays;
  readonly tracing: boolean;
}

/** cdk-nag: with anonymous pull (pulls) or IAM login (every method), the REQUEST authorizer verifies the same Cognito tokens. */
function acknowledgeAnonymousPull(method: apigateway.Method, auth: apigateway.MethodOptions): void {
  if (auth.authorizationType === apigateway.AuthorizationType.CUSTOM) {
    acknowledge(method, {
      'AwsSolutions-COG4': "the REQUEST authorizer verifies Cognito tokens itself and also accepts the anonymous token and, with IAM login, the registry's own KMS-signed tokens",
    });
  }
}

export class RegistryApi extends Construct {
  readonly api: apigateway.RestApi;
  /** The value CloudFront sends in x-api-key (a CloudFormation dynamic reference, never plain text in the template). */
  readonly apiKeyValue: string;

  constructor(scope: Construct, id: string, props: RegistryApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', logGroupDefaults(props.logRetention));
    this.api = new apigateway.RestApi(this, 'Api', {
      description: 'Stowage OCI registry (reached through its CloudFront distribution)',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      binaryMediaTypes: ['*/*'],
      apiKeySourceType: apigateway.ApiKeySourceType.HEADER,
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttleRateLimit,
        throttlingBurstLimit: props.throttleBurstLimit,
        metricsEnabled: true,
        tracingEnabled: props.tracing,
        // Execution logs would record Authorization headers at INFO with data tracing; off.
        loggingLevel: apigateway.MethodLoggingLevel.OFF,
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTimeEpoch',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            error: '$context.error.responseType',
            length: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            user: '$context.authorizer.claims.username',
            clientId: '$context.authorizer.claims.client_id',
            principal: '$context.authorizer.principalId',
          }),
        ),
      },
    });

    const secret = new secretsmanager.Secret(this, 'ApiKeySecret', {
      description: 'API key the Stowage CloudFront distribution sends to its API; nobody else needs it',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.apiKeyValue = secret.secretValue.unsafeUnwrap();
    const key = new apigateway.ApiKey(this, 'FrontDoorKey', {
      description: 'Sent only by the Stowage CloudFront distribution (origin custom header)',
      value: this.apiKeyValue,
    });
    const plan = this.api.addUsagePlan('FrontDoorPlan', {
      description: 'The CloudFront distribution',
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    plan.addApiKey(key);

    const integrations = new Map<lambda.IFunction, apigateway.LambdaIntegration>();
    const integrationFor = (fn: lambda.IFunction) => {
      let integration = integrations.get(fn);
      if (!integration) {
        integration = new apigateway.LambdaIntegration(fn, { proxy: true, scopePermissionToMethod: false });
        integrations.set(fn, integration);
      }
      return integration;
    };
    const requestParameters = { [`method.request.header.${CHALLENGE_HEADER}`]: false };

    for (const { route, path } of routeInstances()) {
      const resource = this.api.root.resourceForPath(path);
      const fn = props.functions.byOperation.get(route.operation);
      if (!fn) throw new Error(`no function for operation ${route.operation}`);
      const auth = props.auth.methodAuth(route.action);
      const method = resource.addMethod(route.method, integrationFor(fn), { ...auth, apiKeyRequired: true, requestParameters, operationName: route.operation });
      acknowledgeAnonymousPull(method, auth);
    }

    // A method a route lacks (PATCH a manifest, DELETE /v2/) is the core's 405 with Allow, as on
    // embedded: each registry resource gets an ANY method (API Gateway prefers the explicit
    // methods) on the ping's function, whose registry answers METHOD_NOT_ALLOWED for any route
    // whatever operation it serves. Authorized as the ping is.
    const ping = props.functions.byOperation.get('ping');
    if (!ping) throw new Error('no function for operation ping');
    const pingRoute = ROUTES.find((r) => r.operation === 'ping') as Route;
    const pingAuth = props.auth.methodAuth(pingRoute.action);
    for (const path of new Set(routeInstances().map((r) => r.path))) {
      const method = this.api.root.resourceForPath(path).addMethod('ANY', integrationFor(ping), {
        ...pingAuth,
        apiKeyRequired: true,
        requestParameters,
        operationName: METHOD_NOT_ALLOWED_OPERATION,
      });
      acknowledgeAnonymousPull(method, pingAuth);
    }

    // The Docker token endpoint: open (it takes Basic credentials), API key still required.
    const token = this.api.root.addResource('token');
    for (const method of ['GET', 'POST']) {
      token.addMethod(method, integrationFor(props.tokenFunction), {
        authorizationType: apigateway.AuthorizationType.NONE,
        apiKeyRequired: true,
        operationName: 'token',
      });
    }
    // cdk-nag: the token route is where a caller without a token gets one.
    acknowledge(token, {
      'AwsSolutions-APIG4':
        'the Docker token endpoint takes the credentials (Basic, or a signed IAM request) and checks them itself; an authorizer would need the token it hands out',
      'AwsSolutions-COG4': 'the token endpoint is the way to a Cognito token, so it cannot require one',
    });
    // cdk-nag: the API's findings that are its design.
    acknowledge(this, {
      'AwsSolutions-APIG2': 'the registry core validates every request (names, digests, ranges, bodies) with the spec error codes; a gateway model would answer in another shape',
      'AwsSolutions-APIG3': 'the web ACL, when wanted, sits on the CloudFront distribution (webAclArn), the only way in: direct calls lack the API key',
      'AwsSolutions-APIG6': 'access logs are on; execution logs stay off because at INFO they would record Authorization headers',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]':
        "API Gateway's account-level logging role is the AWS managed policy made for it",
      'AwsSolutions-SMG4': 'the API key is a shared secret between the distribution and the API; a rotation would have to redeploy the distribution, which a deploy does',
    });

    addGatewayResponses(this.api);
  }
}
