/**
 * The CloudFront distribution as the template declares it: its behaviours in CloudFront's order
 * (cache behaviours by path pattern, then the default), each with its origin, the viewer-request
 * CloudFront Function's source (the template holds it inline), whether a Lambda@Edge
 * origin-response function is attached, and the origin request policy. An origin is either the
 * REST API (its execute-api domain, origin path = stage, origin custom headers such as the API
 * key) or a VPC origin, followed through the internal load balancer's listener and rules to the
 * ECS service whose task definition (image environment, port, health check) is the upload service.
 */
import { referencedId, resolveDynamicReferences, resolveString, resolveValue, resourcesOfType, type CfnTemplate } from './cfn.js';
import type { HeaderList } from './headers.js';
import type { LocalNames } from './local-names.js';

/** CloudFront's managed origin request policies the stack uses. */
export const MANAGED_ORIGIN_REQUEST_POLICIES: Record<string, string> = {
  '216adef6-5c7f-47e4-b989-5492eafa07d3': 'AllViewer',
  'b689b0a8-53d0-40ab-baf2-68738e2966ac': 'AllViewerExceptHostHeader',
};

export interface LoadBalancerRule {
  priority: number;
  pathPatterns: string[];
}

export interface UploadServiceModel {
  /** The container's environment, unresolved (Refs to the bucket and table). */
  environment: Record<string, unknown>;
  containerPort: number;
  healthCheckPath: string;
  /** Status codes the target group counts as healthy (`200,401`). */
  healthyCodes: number[];
}

export type OriginModel =
  | { kind: 'api'; id: string; domainName: string; originPath: string; customHeaders: HeaderList; readTimeoutMs: number }
  /** An S3 bucket origin (its regional endpoint), without origin access control: requests go as the viewer signed them. */
  | { kind: 's3'; id: string; bucketId: string; customHeaders: HeaderList }
  | {
      kind: 'upload-service';
      id: string;
      /** The load balancer's DNS name (CloudFront sends it as Host with AllViewerExceptHostHeader). */
      domainName: string;
      customHeaders: HeaderList;
      readTimeoutMs: number;
      /** Listener rules that forward to the service, by priority. */
      rules: LoadBalancerRule[];
      /** The listener's default action: a fixed response. */
      defaultResponse: { status: number; contentType: string; body: string };
      service: UploadServiceModel;
    };

export interface BehaviorModel {
  /** CloudFront path pattern; `*` for the default behaviour. */
  pathPattern: string;
  origin: OriginModel;
  /** Source of the viewer-request CloudFront Function (runtime cloudfront-js-2.0). */
  viewerRequestCode?: string;
  /** Source of the viewer-response CloudFront Function (runtime cloudfront-js-2.0). */
  viewerResponseCode?: string;
  /** A Lambda@Edge origin-response function is attached (the stack's header restore). */
  originResponseEdge: boolean;
  originRequestPolicy: string;
  /**
   * CloudFront forwards a viewer's Authorization header only when the behaviour's cache policy
   * puts it in the cache key (no origin request policy can forward it).
   */
  forwardsAuthorization: boolean;
  allowedMethods: string[];
}

export interface FrontDoorModel {
  behaviors: BehaviorModel[];
}

export function readFrontDoorModel(template: CfnTemplate, names: LocalNames, api: { apiId: string; region: string }): FrontDoorModel {
  const distributions = resourcesOfType(template, 'AWS::CloudFront::Distribution');
  if (distributions.length !== 1) throw new Error(`harness: expected one CloudFront distribution, found ${distributions.length}`);
  const config = (distributions[0]?.[1].Properties?.DistributionConfig ?? {}) as Record<string, unknown>;
  const apiDomain = `${api.apiId}.execute-api.${api.region}.amazonaws.com`;
  const secret = (s: string) => names.secretValue(s);

  const origins = new Map<string, OriginModel>();
  // The web console's S3 origin (lib/console.ts, the one S3 origin behind origin access control)
  // holds static files, not registry routes: the harness leaves it and its /ui/* behaviour out
  // (test/cdk/console.test.ts checks them). The blob content origin is emulated below.
  const staticOrigins = new Set<string>();
  for (const o of (config.Origins ?? []) as Record<string, unknown>[]) {
    const id = String(o.Id);
    if (o.S3OriginConfig && o.OriginAccessControlId !== undefined) {
      staticOrigins.add(id);
      continue;
    }
    const where = `Distribution.Origins.${id}`;
    const customHeaders: HeaderList = ((o.OriginCustomHeaders ?? []) as Record<string, unknown>[]).map((h) => [
      String(h.HeaderName),
      resolveDynamicReferences(resolveString(h.HeaderValue, names.resolver, where), secret, where),
    ]);
    if (o.S3OriginConfig) {
      const bucketId = referencedId(o.DomainName);
      if (!bucketId || template.Resources[bucketId]?.Type !== 'AWS::S3::Bucket') throw new Error(`harness: S3 origin ${id} does not name a bucket of the stack`);
      const oai = (o.S3OriginConfig as Record<string, unknown>).OriginAccessIdentity;
      if ((oai !== undefined && oai !== '') || o.OriginAccessControlId !== undefined)
        throw new Error(`harness: S3 origin ${id} has origin access control or identity, which is not emulated`);
      origins.set(id, { kind: 's3', id, bucketId, customHeaders });
      continue;
    }
    if (o.VpcOriginConfig) {
      const vpc = o.VpcOriginConfig as Record<string, unknown>;
      origins.set(id, {
        kind: 'upload-service',
        id,
        domainName: resolveString(o.DomainName, names.resolver, where),
        customHeaders,
        readTimeoutMs: Number(vpc.OriginReadTimeout ?? 30) * 1000,
        ...loadBalancerBehind(template, referencedId(vpc.VpcOriginId) as string),
      });
      continue;
    }
    const domainName = resolveString(o.DomainName, names.resolver, where);
    if (domainName !== apiDomain) throw new Error(`harness: origin ${id} (${domainName}) is neither the REST API nor a VPC origin`);
    const custom = (o.CustomOriginConfig ?? {}) as Record<string, unknown>;
    origins.set(id, {
      kind: 'api',
      id,
      domainName,
      originPath: o.OriginPath === undefined ? '' : resolveString(o.OriginPath, names.resolver, where),
      customHeaders,
      readTimeoutMs: Number(custom.OriginReadTimeout ?? 30) * 1000,
    });
  }

  const behavior = (b: Record<string, unknown>, pathPattern: string): BehaviorModel => {
    const origin = origins.get(String(b.TargetOriginId));
    if (!origin) throw new Error(`harness: behaviour ${pathPattern} targets unknown origin ${String(b.TargetOriginId)}`);
    let viewerRequestCode: string | undefined;
    let viewerResponseCode: string | undefined;
    for (const f of (b.FunctionAssociations ?? []) as Record<string, unknown>[]) {
      const fn = template.Resources[referencedId(f.FunctionARN) as string];
      if (fn?.Type !== 'AWS::CloudFront::Function') throw new Error(`harness: behaviour ${pathPattern}: unknown CloudFront Function`);
      if (f.EventType === 'viewer-request') viewerRequestCode = String(fn.Properties?.FunctionCode);
      else if (f.EventType === 'viewer-response') viewerResponseCode = String(fn.Properties?.FunctionCode);
      else throw new Error(`harness: behaviour ${pathPattern} has a ${String(f.EventType)} CloudFront Function, which is not emulated`);
    }
    const edge = (b.LambdaFunctionAssociations ?? []) as Record<string, unknown>[];
    for (const e of edge)
      if (e.EventType !== 'origin-response')
        throw new Error(`harness: behaviour ${pathPattern} has a ${String(e.EventType)} Lambda@Edge function; only the origin-response header restore is emulated`);
    const customPolicy = referencedId(b.OriginRequestPolicyId);
    const policyId =
      customPolicy && template.Resources[customPolicy]?.Type === 'AWS::CloudFront::OriginRequestPolicy'
        ? 'Custom'
        : String(resolveValue(b.OriginRequestPolicyId ?? '', names.resolver, `${pathPattern}.OriginRequestPolicyId`));
    const cachePolicy = template.Resources[referencedId(b.CachePolicyId) ?? ''];
    const keyHeaders = ((
      (cachePolicy?.Properties?.CachePolicyConfig as Record<string, unknown> | undefined)?.ParametersInCacheKeyAndForwardedToOrigin as Record<string, unknown> | undefined
    )?.HeadersConfig ?? {}) as {
      HeaderBehavior?: string;
      Headers?: string[];
    };
    return {
      pathPattern,
      origin,
      ...(viewerRequestCode !== undefined && { viewerRequestCode }),
      ...(viewerResponseCode !== undefined && { viewerResponseCode }),
      originResponseEdge: edge.length > 0,
      originRequestPolicy: MANAGED_ORIGIN_REQUEST_POLICIES[policyId] ?? policyId,
      forwardsAuthorization: keyHeaders.HeaderBehavior === 'whitelist' && (keyHeaders.Headers ?? []).some((h) => h.toLowerCase() === 'authorization'),
      allowedMethods: ((b.AllowedMethods ?? ['GET', 'HEAD']) as string[]).map(String),
    };
  };
  const behaviors = ((config.CacheBehaviors ?? []) as Record<string, unknown>[])
    .filter((b) => !staticOrigins.has(String(b.TargetOriginId)))
    .map((b) => behavior(b, String(b.PathPattern)));
  behaviors.push(behavior(config.DefaultCacheBehavior as Record<string, unknown>, '*'));
  return { behaviors };
}

/** VPC origin -> load balancer -> listener (default action, rules) -> target group -> ECS service -> task definition. */
function loadBalancerBehind(template: CfnTemplate, vpcOriginId: string): Pick<Extract<OriginModel, { kind: 'upload-service' }>, 'rules' | 'defaultResponse' | 'service'> {
  const vpcOrigin = template.Resources[vpcOriginId];
  const lbId = referencedId((vpcOrigin?.Properties?.VpcOriginEndpointConfig as Record<string, unknown> | undefined)?.Arn);
  const listeners = resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::Listener').filter(([, r]) => referencedId(r.Properties?.LoadBalancerArn) === lbId);
  if (!lbId || listeners.length !== 1) throw new Error(`harness: VPC origin ${vpcOriginId} should lead to one load balancer listener`);
  const [listenerId, listener] = listeners[0] as [string, { Properties?: Record<string, unknown> }];
  const fixed = ((listener.Properties?.DefaultActions ?? []) as Record<string, unknown>[]).find((a) => a.Type === 'fixed-response')?.FixedResponseConfig as
    | Record<string, unknown>
    | undefined;
  if (!fixed) throw new Error('harness: the upload load balancer listener should answer unmatched paths with a fixed response');
  const rules: LoadBalancerRule[] = [];
  let targetGroup: string | undefined;
  for (const [, rule] of resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::ListenerRule').filter(([, r]) => referencedId(r.Properties?.ListenerArn) === listenerId)) {
    const forward = ((rule.Properties?.Actions ?? []) as Record<string, unknown>[]).find((a) => a.Type === 'forward');
    const tg = referencedId(forward?.TargetGroupArn);
    if (!tg || (targetGroup && tg !== targetGroup)) throw new Error('harness: the upload listener rules should forward to one target group');
    targetGroup = tg;
    const patterns = ((rule.Properties?.Conditions ?? []) as Record<string, unknown>[]).flatMap((c) => {
      if (c.Field !== 'path-pattern') throw new Error(`harness: listener rule condition ${String(c.Field)} is not emulated`);
      return ((c.PathPatternConfig as Record<string, unknown> | undefined)?.Values ?? c.Values ?? []) as string[];
    });
    rules.push({ priority: Number(rule.Properties?.Priority), pathPatterns: patterns });
  }
  rules.sort((a, b) => a.priority - b.priority);
  const tg = template.Resources[targetGroup ?? ''];
  const services = resourcesOfType(template, 'AWS::ECS::Service').filter(([, s]) =>
    ((s.Properties?.LoadBalancers ?? []) as Record<string, unknown>[]).some((l) => referencedId(l.TargetGroupArn) === targetGroup),
  );
  if (!tg || services.length !== 1) throw new Error('harness: the upload target group should have one ECS service');
  const [, service] = services[0] as [string, { Properties?: Record<string, unknown> }];
  const binding = ((service.Properties?.LoadBalancers ?? []) as Record<string, unknown>[]).find((l) => referencedId(l.TargetGroupArn) === targetGroup) as Record<string, unknown>;
  const task = template.Resources[referencedId(service.Properties?.TaskDefinition) as string];
  const container = ((task?.Properties?.ContainerDefinitions ?? []) as Record<string, unknown>[]).find((c) => c.Name === binding.ContainerName);
  if (!container) throw new Error(`harness: no container ${String(binding.ContainerName)} in the upload service's task definition`);
  const environment = Object.fromEntries(((container.Environment ?? []) as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
  return {
    rules,
    defaultResponse: { status: Number(fixed.StatusCode), contentType: String(fixed.ContentType ?? 'text/plain'), body: String(fixed.MessageBody ?? '') },
    service: {
      environment,
      containerPort: Number(binding.ContainerPort),
      healthCheckPath: String(tg.Properties?.HealthCheckPath ?? '/'),
      healthyCodes: String((tg.Properties?.Matcher as Record<string, unknown> | undefined)?.HttpCode ?? '200')
        .split(',')
        .map(Number),
    },
  };
}
