/**
 * The REST API, generated from the route table. Repository names contain slashes and API
 * Gateway's greedy variable ({proxy+}) must be the last segment, so each route is created once
 * per name depth: `/v2/{name}/manifests/{reference}` becomes `/v2/{n1}/manifests/{reference}`,
 * `/v2/{n1}/{n2}/manifests/{reference}`, ... up to maxNameDepth. The handlers take the name
 * from the public path (`event.path`), not from these parameters.
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
import type { RegistryAuth } from './auth.js';
import { logGroupDefaults } from './defaults.js';
import { addGatewayResponses, CHALLENGE_HEADER } from './gateway-responses.js';
import type { OperationFunctions } from './functions.js';
import { acknowledge } from './nag.js';

/** API Gateway's header for API keys; CloudFront adds it to every request to the API origin. */
export const API_KEY_HEADER = 'x-api-key';

/** Resource path segments of a route at a name depth: `{name}` becomes `{n1}`..`{nDepth}`. */
export function resourceSegments(route: Route, depth: number): string[] {
  const segments = route.path.split('/').filter(Boolean);
  return segments.flatMap((s) => (s === '{name}' ? Array.from({ length: depth }, (_, i) => `{n${i + 1}}`) : [s]));
}

/** Every (route, depth) pair the API serves: routes without a name once, the others per depth. */
export function routeInstances(maxNameDepth: number): { route: Route; depth: number; path: string }[] {
  return ROUTES.flatMap((route) => {
    const depths = route.path.includes('{name}') ? Array.from({ length: maxNameDepth }, (_, i) => i + 1) : [0];
    return depths.map((depth) => ({ route, depth, path: `/${resourceSegments(route, depth).join('/')}` }));
  });
}

export interface RegistryApiProps {
  readonly auth: RegistryAuth;
  readonly functions: OperationFunctions;
  /** Answers `/token` (GET and POST, no authorizer). */
  readonly tokenFunction: lambda.IFunction;
  readonly maxNameDepth: number;
  readonly stageName: string;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly logRetention: logs.RetentionDays;
  readonly tracing: boolean;
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

    for (const { route, path } of routeInstances(props.maxNameDepth)) {
      const resource = path === '/' ? this.api.root : this.api.root.resourceForPath(path);
      const fn = props.functions.byOperation.get(route.operation);
      if (!fn) throw new Error(`no function for operation ${route.operation}`);
      const auth = props.auth.methodAuth(route.action);
      const method = resource.addMethod(route.method, integrationFor(fn), { ...auth, apiKeyRequired: true, requestParameters, operationName: route.operation });
      // cdk-nag: with anonymous pull, pulls go through the REQUEST authorizer, which verifies the same Cognito tokens.
      if (auth.authorizationType === apigateway.AuthorizationType.CUSTOM) {
        acknowledge(method, { 'AwsSolutions-COG4': 'the anonymous-pull REQUEST authorizer verifies Cognito tokens itself and also accepts the anonymous token' });
      }
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

    addGatewayResponses(this.api, props.maxNameDepth);
  }
}
