/** The REST API: the fixed route shape, an authorizer and scopes on every registry method, gateway responses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Capture, Match } from 'aws-cdk-lib/assertions';
import { ROUTES } from '../../src/core/routes.js';
import { routeInstances } from '../../lib/api.js';
import { scopesForAction, USER_ADMIN_SCOPE } from '../../lib/auth.js';
import { OPERATIONS } from '../../lib/functions.js';
import { CHALLENGE_HEADER } from '../../lib/gateway-responses.js';
import { resourcesOfType, synthCached, type Synthesized } from './support.js';

interface MethodView {
  path: string;
  httpMethod: string;
  props: Record<string, unknown>;
}

function methods(s: Synthesized): MethodView[] {
  return s.stack.node
    .findAll()
    .filter((c): c is apigateway.Method => c instanceof apigateway.Method)
    .map((m) => {
      const id = s.stack.getLogicalId(m.node.defaultChild as apigateway.CfnMethod);
      return { path: m.resource.path, httpMethod: m.httpMethod, props: s.json.Resources[id]?.Properties ?? {} };
    });
}

const registryMethods = (s: Synthesized) => methods(s).filter((m) => m.path.startsWith('/v2') && m.httpMethod !== 'ANY');

test('resources: the fixed route shape, one method per route, greedy variables nowhere', () => {
  const s = synthCached();
  const got = registryMethods(s)
    .map((m) => `${m.httpMethod} ${m.path}`)
    .sort();
  const want = routeInstances()
    .map((r) => `${r.route.method} ${r.path.replace(/(.)\/$/, '$1')}`)
    .sort();
  assert.deepEqual(got, want);
  assert.equal(got.length, ROUTES.length);
  for (const [, r] of resourcesOfType(s.json, 'AWS::ApiGateway::Resource')) assert.doesNotMatch(String(r.PathPart), /\+\}$/);
  const paths = registryMethods(s).map((m) => m.path);
  for (const p of ['/v2/_r/manifests/{reference}', '/v2/_r/blobs/uploads', '/v2/_r/blobs/uploads/{uuid}', '/v2/_r/blobs/{digest}', '/v2/_r/tags/list', '/v2/_r/referrers/{digest}'])
    assert.ok(paths.includes(p), p);
  // 58 resources and 86 methods at depth 5 before; now a handful.
  const resources = resourcesOfType(s.json, 'AWS::ApiGateway::Resource').length;
  // 14 for the registry routes, 5 for the admin routes (/v2/_stowage and its four paths).
  assert.ok(resources <= 19, `${resources} API resources`);
});

test('every registry resource has an ANY method on the ping function (the core answers 405 with Allow), authorized as the ping', () => {
  const s = synthCached();
  const any = methods(s).filter((m) => m.httpMethod === 'ANY');
  assert.deepEqual(any.map((m) => m.path).sort(), [...new Set(routeInstances().map((r) => r.path.replace(/(.)\/$/, '$1')))].sort());
  const ping = registryMethods(s).find((m) => m.path === '/v2' && m.httpMethod === 'GET')!;
  for (const m of any) {
    assert.equal(m.props.OperationName, 'methodNotAllowed');
    assert.deepEqual(m.props.AuthorizationScopes, ping.props.AuthorizationScopes);
    assert.equal(m.props.ApiKeyRequired, true);
    assert.deepEqual(JSON.stringify((m.props.Integration as { Uri: unknown }).Uri), JSON.stringify((ping.props.Integration as { Uri: unknown }).Uri));
  }
});

test('every registry method, the ping included, has an authorizer and requires the front door API key', () => {
  const s = synthCached();
  const all = registryMethods(s);
  assert.ok(
    all.some((m) => m.path === '/v2' && m.httpMethod === 'GET'),
    'GET /v2/ (the ping) exists',
  );
  for (const m of all) {
    assert.equal(m.props.AuthorizationType, 'COGNITO_USER_POOLS', `${m.httpMethod} ${m.path}`);
    assert.ok(m.props.AuthorizerId, `${m.httpMethod} ${m.path} names its authorizer`);
    assert.equal(m.props.ApiKeyRequired, true, `${m.httpMethod} ${m.path}`);
  }
  // The token endpoint is open (it takes Basic credentials), but only through the front door.
  const token = methods(s).filter((m) => m.path === '/token');
  assert.deepEqual(token.map((m) => m.httpMethod).sort(), ['GET', 'POST']);
  for (const m of token) {
    assert.equal(m.props.AuthorizationType, 'NONE');
    assert.equal(m.props.ApiKeyRequired, true);
  }
  s.template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
  s.template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS', IdentitySource: 'method.request.header.Authorization' });
  // The ping's authorizer is the one every registry method names.
  const pingAuthorizer = new Capture();
  s.template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', OperationName: 'ping', AuthorizerId: pingAuthorizer });
  for (const m of all) assert.deepEqual(m.props.AuthorizerId, pingAuthorizer.asObject(), `${m.httpMethod} ${m.path}`);
});

test("method scopes: the action's custom scope plus the scope every person's access token carries", () => {
  const s = synthCached();
  const byRoute = new Map(routeInstances().map((r) => [`${r.route.method} ${r.path.replace(/(.)\/$/, '$1')}`, r.route]));
  for (const m of registryMethods(s)) {
    const route = byRoute.get(`${m.httpMethod} ${m.path}`);
    assert.ok(route, `${m.httpMethod} ${m.path} comes from the route table`);
    assert.deepEqual(m.props.AuthorizationScopes, scopesForAction('stowage', route.action), `${m.httpMethod} ${m.path}`);
    assert.ok((m.props.AuthorizationScopes as string[]).includes(USER_ADMIN_SCOPE));
  }
  const scopes = (method: string, path: string) => registryMethods(s).find((m) => m.httpMethod === method && m.path === path)?.props.AuthorizationScopes;
  assert.deepEqual(scopes('GET', '/v2/_r/manifests/{reference}'), ['stowage/pull', USER_ADMIN_SCOPE]);
  assert.deepEqual(scopes('PUT', '/v2/_r/manifests/{reference}'), ['stowage/push', USER_ADMIN_SCOPE]);
  assert.deepEqual(scopes('DELETE', '/v2/_r/manifests/{reference}'), ['stowage/delete', USER_ADMIN_SCOPE]);
  assert.deepEqual(scopes('GET', '/v2'), ['stowage/pull', 'stowage/push', 'stowage/delete', USER_ADMIN_SCOPE]);
});

test('anonymous pull: pull methods and the ping use a Lambda REQUEST authorizer; push and delete stay on Cognito', () => {
  const s = synthCached({ anonymousPull: true });
  s.template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'REQUEST', IdentitySource: 'method.request.header.Authorization', AuthorizerResultTtlInSeconds: 0 });
  const byRoute = new Map(routeInstances().map((r) => [`${r.route.method} ${r.path.replace(/(.)\/$/, '$1')}`, r.route]));
  for (const m of registryMethods(s)) {
    const action = byRoute.get(`${m.httpMethod} ${m.path}`)?.action;
    const expected = action === 'pull' || action === null ? 'CUSTOM' : 'COGNITO_USER_POOLS';
    assert.equal(m.props.AuthorizationType, expected, `${m.httpMethod} ${m.path}`);
    assert.ok(m.props.AuthorizerId);
  }
});

test('one Lambda per operation, each integrated by proxy, with ONE invoke permission for the whole API', () => {
  const s = synthCached();
  const fnIds = new Set<string>();
  for (const m of registryMethods(s)) {
    const integration = m.props.Integration as { Type: string; Uri: { 'Fn::Join': [string, unknown[]] } };
    assert.equal(integration.Type, 'AWS_PROXY');
    const getAtt = integration.Uri['Fn::Join'][1].find((p) => typeof p === 'object' && p !== null && 'Fn::GetAtt' in p) as { 'Fn::GetAtt': [string] };
    fnIds.add(getAtt['Fn::GetAtt'][0]);
  }
  assert.equal(fnIds.size, OPERATIONS.length, 'one function per operation');
  const permissions = resourcesOfType(s.json, 'AWS::Lambda::Permission').filter(([, p]) => p.Principal === 'apigateway.amazonaws.com');
  for (const fnId of fnIds) {
    const mine = permissions.filter(([, p]) => (p.FunctionName as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] === fnId);
    assert.equal(mine.length, 1, `${fnId} has exactly one API permission`);
    // Scoped to this API (any stage, method and path), not to one method.
    const sourceArn = JSON.stringify(mine[0]?.[1].SourceArn);
    assert.match(sourceArn, /\/\*\/\*\/\*"/);
  }
});

test('API: regional, every media type binary, throttled stage with access logs, API key usage plan', () => {
  const s = synthCached();
  s.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
    EndpointConfiguration: { Types: ['REGIONAL'] },
    BinaryMediaTypes: ['*/*'],
    ApiKeySourceType: 'HEADER',
  });
  s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
    StageName: 'registry',
    AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000, LoggingLevel: 'OFF', DataTraceEnabled: false })]),
  });
  s.template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
  s.template.hasResourceProperties('AWS::ApiGateway::ApiKey', { Value: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['{{resolve:secretsmanager:'])]) }) });
  s.template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
});

test('gateway responses: spec JSON bodies, the API version header, and the challenge on the 401s', () => {
  const s = synthCached();
  const responses = new Map(resourcesOfType(s.json, 'AWS::ApiGateway::GatewayResponse').map(([, p]) => [p.ResponseType as string, p]));
  const expected: Record<string, [string | undefined, string, boolean]> = {
    UNAUTHORIZED: ['401', 'UNAUTHORIZED', true],
    EXPIRED_TOKEN: ['401', 'UNAUTHORIZED', true],
    ACCESS_DENIED: ['403', 'DENIED', true],
    MISSING_AUTHENTICATION_TOKEN: ['404', 'NAME_UNKNOWN', false],
    REQUEST_TOO_LARGE: ['413', 'SIZE_INVALID', false],
    INVALID_API_KEY: ['403', 'DENIED', false],
    THROTTLED: ['429', 'TOOMANYREQUESTS', false],
    DEFAULT_5XX: [undefined, 'UNKNOWN', false],
  };
  for (const [type, [status, code, challenge]] of Object.entries(expected)) {
    const r = responses.get(type);
    assert.ok(r, `${type} is configured`);
    assert.equal(r.StatusCode, status, type);
    const params = r.ResponseParameters as Record<string, string>;
    assert.equal(params['gatewayresponse.header.docker-distribution-api-version'], "'registry/2.0'", type);
    assert.equal(params['gatewayresponse.header.content-type'], "'application/json'", type);
    // The public host's challenge, set by the CloudFront Function: never the execute-api host.
    assert.equal(params['gatewayresponse.header.www-authenticate'], challenge ? `method.request.header.${CHALLENGE_HEADER}` : undefined, type);
    const body = JSON.parse((r.ResponseTemplates as Record<string, string>)['application/json'] as string);
    assert.equal(body.errors[0].code, code, type);
    assert.equal(typeof body.errors[0].message, 'string');
  }
  const tooLarge = JSON.parse((responses.get('REQUEST_TOO_LARGE')!.ResponseTemplates as Record<string, string>)['application/json'] as string);
  assert.match(tooLarge.errors[0].message, /10 MB/, 'the 413 names the limit');
  const notFound = JSON.parse((responses.get('MISSING_AUTHENTICATION_TOKEN')!.ResponseTemplates as Record<string, string>)['application/json'] as string);
  assert.match(notFound.errors[0].message, /no registry endpoint at this path and method/);
});
