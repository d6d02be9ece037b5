/**
 * The REST API as the template declares it: the resource tree (AWS::ApiGateway::Resource by
 * ParentId, path parts with `{param}` and greedy `{param+}`), each method's authorizer, scopes,
 * API-key requirement and Lambda integration, the stage, binary media types, gateway responses
 * and the API keys its usage plans accept. Nothing here is copied from lib/ or the route table:
 * it is all read back from the synthesized template.
 */
import { referencedId, resolveDynamicReferences, resolveString, resourcesOfType, type CfnResource, type CfnTemplate } from './cfn.js';
import type { LocalNames } from './local-names.js';

export type AuthorizationType = 'NONE' | 'COGNITO_USER_POOLS' | 'CUSTOM' | 'AWS_IAM';

export interface AuthorizerModel {
  logicalId: string;
  name: string;
  type: 'COGNITO_USER_POOLS' | 'REQUEST' | 'TOKEN';
  /** `method.request.header.Authorization`, ... */
  identitySources: string[];
  /** COGNITO_USER_POOLS: the user pools' ARNs (stand-ins). */
  providerArns: string[];
  /** REQUEST/TOKEN: the authorizer function's logical id. */
  functionId?: string;
  resultTtlSeconds: number;
}

export interface MethodModel {
  logicalId: string;
  httpMethod: string;
  /** The resource path with its variables: `/v2/{n1}/manifests/{reference}`. */
  resourcePath: string;
  resourceId: string;
  authorizationType: AuthorizationType;
  authorizer?: AuthorizerModel;
  scopes: string[];
  apiKeyRequired: boolean;
  /** AWS_PROXY integration: the Lambda function's logical id. */
  functionId: string;
  integrationTimeoutMs: number;
  operationName?: string;
}

export interface ResourceNode {
  logicalId: string;
  pathPart: string;
  path: string;
  literal: Map<string, ResourceNode>;
  /** The one variable child (API Gateway allows one per resource). */
  variable?: ResourceNode;
  /** For a variable resource: the parameter name, without braces or `+`. */
  parameter?: string;
  greedy: boolean;
  methods: Map<string, MethodModel>;
}

export interface GatewayResponseModel {
  type: string;
  statusCode?: number;
  /** Header name -> mapping expression (`'literal'`, `method.request.header.X`, ...). */
  headers: Record<string, string>;
  templates: Record<string, string>;
}

export interface ApiModel {
  logicalId: string;
  apiId: string;
  stageName: string;
  binaryMediaTypes: string[];
  apiKeySource: 'HEADER' | 'AUTHORIZER';
  root: ResourceNode;
  methods: MethodModel[];
  gatewayResponses: Map<string, GatewayResponseModel>;
  /** Values of the enabled API keys that a usage plan admits to this stage. */
  apiKeys: Set<string>;
}

/** API Gateway's integration timeout when the template sets none. */
export const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;

function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`harness: expected exactly one ${what} in the template, found ${items.length}`);
  return items[0] as T;
}

/** A Lambda function's logical id inside an integration or authorizer URI. */
function functionIn(value: unknown, template: CfnTemplate): string | undefined {
  if (Array.isArray(value)) {
    for (const v of value) {
      const got = functionIn(v, template);
      if (got) return got;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const id = referencedId(value);
  if (id && template.Resources[id]?.Type === 'AWS::Lambda::Function') return id;
  for (const v of Object.values(value)) {
    const got = functionIn(v, template);
    if (got) return got;
  }
  return undefined;
}

export function readApiModel(template: CfnTemplate, names: LocalNames): ApiModel {
  const [apiId, api] = only(resourcesOfType(template, 'AWS::ApiGateway::RestApi'), 'AWS::ApiGateway::RestApi');
  const props = api.Properties ?? {};
  const ofApi = (r: CfnResource) => referencedId(r.Properties?.RestApiId) === apiId;
  const [, stage] = only(
    resourcesOfType(template, 'AWS::ApiGateway::Stage').filter(([, r]) => ofApi(r)),
    'stage of the REST API',
  );
  const stageName = resolveString(stage.Properties?.StageName, names.resolver, 'Stage.StageName');
  const stageLogicalId = resourcesOfType(template, 'AWS::ApiGateway::Stage').find(([, r]) => r === stage)?.[0] as string;

  // The resource tree.
  const root: ResourceNode = { logicalId: 'root', pathPart: '', path: '/', literal: new Map(), greedy: false, methods: new Map() };
  const nodes = new Map<string, ResourceNode>([['root', root]]);
  const pending = resourcesOfType(template, 'AWS::ApiGateway::Resource').filter(([, r]) => ofApi(r));
  const parentKey = (v: unknown) => (referencedId(v) === apiId ? 'root' : (referencedId(v) as string));
  while (pending.length > 0) {
    const before = pending.length;
    for (let i = pending.length - 1; i >= 0; i--) {
      const [id, r] = pending[i] as [string, CfnResource];
      const parent = nodes.get(parentKey(r.Properties?.ParentId));
      if (!parent) continue;
      pending.splice(i, 1);
      const pathPart = String(r.Properties?.PathPart);
      const variable = /^\{([A-Za-z0-9._-]+)(\+?)\}$/.exec(pathPart);
      const node: ResourceNode = {
        logicalId: id,
        pathPart,
        path: `${parent.path === '/' ? '' : parent.path}/${pathPart}`,
        literal: new Map(),
        greedy: variable?.[2] === '+',
        methods: new Map(),
        ...(variable && { parameter: variable[1] }),
      };
      if (variable) {
        if (parent.variable) throw new Error(`harness: ${parent.path} has two variable children (${parent.variable.pathPart}, ${pathPart}); API Gateway allows one`);
        parent.variable = node;
      } else {
        if (parent.literal.has(pathPart)) throw new Error(`harness: ${node.path} is declared twice`);
        parent.literal.set(pathPart, node);
      }
      nodes.set(id, node);
    }
    if (pending.length === before) throw new Error(`harness: resources without a parent in the tree: ${pending.map(([id]) => id).join(', ')}`);
  }

  // Authorizers.
  const authorizers = new Map<string, AuthorizerModel>();
  for (const [id, r] of resourcesOfType(template, 'AWS::ApiGateway::Authorizer').filter(([, r]) => ofApi(r))) {
    const p = r.Properties ?? {};
    const functionId = functionIn(p.AuthorizerUri, template);
    authorizers.set(id, {
      logicalId: id,
      name: String(p.Name ?? id),
      type: p.Type as AuthorizerModel['type'],
      identitySources: String(p.IdentitySource ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      providerArns: Array.isArray(p.ProviderARNs) ? p.ProviderARNs.map((a, i) => resolveString(a, names.resolver, `${id}.ProviderARNs[${i}]`)) : [],
      ...(functionId && { functionId }),
      resultTtlSeconds: Number(p.AuthorizerResultTtlInSeconds ?? 300),
    });
  }

  // Methods.
  const methods: MethodModel[] = [];
  for (const [id, r] of resourcesOfType(template, 'AWS::ApiGateway::Method').filter(([, r]) => ofApi(r))) {
    const p = r.Properties ?? {};
    const node = nodes.get(parentKey(p.ResourceId));
    if (!node) throw new Error(`harness: method ${id} is on an unknown resource`);
    const integration = (p.Integration ?? {}) as Record<string, unknown>;
    if (integration.Type !== 'AWS_PROXY')
      throw new Error(`harness: method ${p.HttpMethod} ${node.path} has a ${String(integration.Type)} integration; the harness runs AWS_PROXY (Lambda proxy) only`);
    const functionId = functionIn(integration.Uri, template);
    if (!functionId) throw new Error(`harness: method ${p.HttpMethod} ${node.path} integrates no Lambda function`);
    const authorizerId = referencedId(p.AuthorizerId);
    const authorizer = authorizerId ? authorizers.get(authorizerId) : undefined;
    if (authorizerId && !authorizer) throw new Error(`harness: method ${p.HttpMethod} ${node.path} names an unknown authorizer ${authorizerId}`);
    const method: MethodModel = {
      logicalId: id,
      httpMethod: String(p.HttpMethod),
      resourcePath: node.path,
      resourceId: node.logicalId,
      authorizationType: (p.AuthorizationType as AuthorizationType | undefined) ?? 'NONE',
      ...(authorizer && { authorizer }),
      scopes: Array.isArray(p.AuthorizationScopes) ? p.AuthorizationScopes.map(String) : [],
      apiKeyRequired: p.ApiKeyRequired === true,
      functionId,
      integrationTimeoutMs: Number(integration.TimeoutInMillis ?? DEFAULT_INTEGRATION_TIMEOUT_MS),
      ...(typeof p.OperationName === 'string' && { operationName: p.OperationName }),
    };
    if (node.methods.has(method.httpMethod)) throw new Error(`harness: ${method.httpMethod} ${node.path} is declared twice`);
    node.methods.set(method.httpMethod, method);
    methods.push(method);
  }

  // Gateway responses.
  const gatewayResponses = new Map<string, GatewayResponseModel>();
  for (const [id, r] of resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse').filter(([, r]) => ofApi(r))) {
    const p = r.Properties ?? {};
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries((p.ResponseParameters ?? {}) as Record<string, unknown>)) {
      const m = /^gatewayresponse\.header\.(.+)$/.exec(key);
      if (!m) throw new Error(`harness: gateway response ${id} maps ${key}; only gatewayresponse.header.* is supported`);
      headers[m[1] as string] = resolveString(value, names.resolver, `${id}.ResponseParameters.${key}`);
    }
    const templates: Record<string, string> = {};
    for (const [type, body] of Object.entries((p.ResponseTemplates ?? {}) as Record<string, unknown>))
      templates[type] = resolveString(body, names.resolver, `${id}.ResponseTemplates`);
    gatewayResponses.set(String(p.ResponseType), {
      type: String(p.ResponseType),
      ...(p.StatusCode !== undefined && { statusCode: Number(p.StatusCode) }),
      headers,
      templates,
    });
  }

  // API keys admitted to this stage by a usage plan.
  const plans = resourcesOfType(template, 'AWS::ApiGateway::UsagePlan')
    .filter(([, r]) => ((r.Properties?.ApiStages ?? []) as Record<string, unknown>[]).some((s) => referencedId(s.ApiId) === apiId && referencedId(s.Stage) === stageLogicalId))
    .map(([id]) => id);
  const apiKeys = new Set<string>();
  for (const [, link] of resourcesOfType(template, 'AWS::ApiGateway::UsagePlanKey')) {
    if (!plans.includes(referencedId(link.Properties?.UsagePlanId) ?? '')) continue;
    const keyId = referencedId(link.Properties?.KeyId) as string;
    const key = template.Resources[keyId];
    if (!key || key.Properties?.Enabled === false) continue;
    const value = resolveString(key.Properties?.Value, names.resolver, `${keyId}.Value`);
    apiKeys.add(resolveDynamicReferences(value, (s) => names.secretValue(s), `${keyId}.Value`));
  }

  return {
    logicalId: apiId,
    apiId: resolveString({ Ref: apiId }, names.resolver, 'RestApi'),
    stageName,
    binaryMediaTypes: Array.isArray(props.BinaryMediaTypes) ? props.BinaryMediaTypes.map(String) : [],
    apiKeySource: props.ApiKeySourceType === 'AUTHORIZER' ? 'AUTHORIZER' : 'HEADER',
    root,
    methods,
    gatewayResponses,
    apiKeys,
  };
}
