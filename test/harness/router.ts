/**
 * API Gateway (REST) routing over the resource tree: one path segment per level, a literal child
 * before the variable child, a greedy `{param+}` taking the rest of the path (one or more
 * segments). Like API Gateway, it commits to a matching literal child and never backtracks into
 * its variable sibling ("when a proxy resource has non-proxy siblings, the sibling resources
 * are excluded from the representation of the proxy resource"), so `/v2/a/manifests/b/manifests/c`
 * does not reach `/v2/{n1}/{n2}/{n3}/manifests/{reference}`: it is unmatched, as on AWS.
 *
 * A trailing slash is ignored (`/v2/` is the `/v2` resource), segments are compared
 * percent-decoded and path parameter values are decoded, while the event's `path` stays as sent.
 */
import type { MethodModel, ResourceNode } from './api-model.js';

export interface ResourceMatch {
  resource: ResourceNode;
  /** Decoded values, as the event's pathParameters carry them. */
  pathParameters: Record<string, string>;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The resource a public path (no stage, no query) reaches, or undefined. */
export function matchResource(root: ResourceNode, path: string): ResourceMatch | undefined {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return { resource: root, pathParameters: {} };
  if (!trimmed.startsWith('/')) return undefined;
  const segments = trimmed.slice(1).split('/');
  let node = root;
  const pathParameters: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const raw = segments[i] as string;
    if (raw === '') return undefined;
    const literal = node.literal.get(decode(raw));
    if (literal) {
      node = literal;
      continue;
    }
    const variable = node.variable;
    if (!variable?.parameter) return undefined;
    if (variable.greedy) {
      pathParameters[variable.parameter] = decode(segments.slice(i).join('/'));
      return { resource: variable, pathParameters };
    }
    pathParameters[variable.parameter] = decode(raw);
    node = variable;
  }
  return { resource: node, pathParameters };
}

/** The method for an HTTP method on a resource (an `ANY` method answers every other). */
export function methodOf(resource: ResourceNode, httpMethod: string): MethodModel | undefined {
  return resource.methods.get(httpMethod.toUpperCase()) ?? resource.methods.get('ANY');
}
