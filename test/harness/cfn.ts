/**
 * The little of CloudFormation the harness needs to read a synthesized template: intrinsic
 * functions (Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub) resolved against local
 * stand-ins for physical ids (a bucket name on the emulator, the fake API id, ...), and
 * Secrets Manager dynamic references (`{{resolve:secretsmanager:...}}`) replaced by values the
 * harness generates. Anything it cannot resolve is an error that names the path, never a guess.
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
}

export class UnresolvableError extends Error {
  constructor(what: string, where: string) {
    super(`cannot resolve ${what} at ${where}`);
    this.name = 'UnresolvableError';
  }
}

export interface Resolver {
  /** `Ref` of a resource or pseudo parameter; undefined when unknown. */
  ref(logicalId: string): string | undefined;
  /** `Fn::GetAtt`; undefined when unknown. */
  getAtt(logicalId: string, attribute: string): string | undefined;
}

/** Resolves every intrinsic in `value` (deeply) to plain JSON; `where` names it in errors. */
export function resolveValue(value: unknown, resolver: Resolver, where = '$'): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveValue(v, resolver, `${where}[${i}]`));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, arg] = entries[0] as [string, unknown];
    switch (key) {
      case 'Ref': {
        const got = resolver.ref(String(arg));
        if (got === undefined) throw new UnresolvableError(`Ref ${String(arg)}`, where);
        return got;
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : String(arg).split(/\.(.*)/s);
        const got = resolver.getAtt(String(id), String(attribute));
        if (got === undefined) throw new UnresolvableError(`Fn::GetAtt ${String(id)}.${String(attribute)}`, where);
        return got;
      }
      case 'Fn::Join': {
        const [delimiter, list] = arg as [string, unknown[]];
        return (resolveValue(list, resolver, `${where}.Fn::Join`) as unknown[]).map(String).join(delimiter);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = resolveValue(list, resolver, `${where}.Fn::Select`) as unknown[];
        const i = Number(resolveValue(index, resolver, where));
        if (!Array.isArray(items) || !(i >= 0 && i < items.length)) throw new UnresolvableError(`Fn::Select ${i}`, where);
        return items[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = arg as [string, unknown];
        return String(resolveValue(source, resolver, `${where}.Fn::Split`)).split(delimiter);
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
        const locals = resolveValue(vars, resolver, `${where}.Fn::Sub`) as Record<string, unknown>;
        return text.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
          if (name in locals) return String(locals[name]);
          const [id, attribute] = name.split(/\.(.*)/s);
          const got = attribute ? resolver.getAtt(id as string, attribute) : resolver.ref(name);
          if (got === undefined) throw new UnresolvableError(`\${${name}} in Fn::Sub`, where);
          return got;
        });
      }
      default:
        if (key.startsWith('Fn::') || key === 'Condition') throw new UnresolvableError(key, where);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveValue(v, resolver, `${where}.${k}`)]));
}

/** Resolves to a string (or throws). */
export function resolveString(value: unknown, resolver: Resolver, where: string): string {
  const got = resolveValue(value, resolver, where);
  if (typeof got !== 'string' && typeof got !== 'number' && typeof got !== 'boolean') throw new UnresolvableError('a non-string value', where);
  return String(got);
}

const SECRET_REFERENCE = /\{\{resolve:secretsmanager:([^:}]+(?::[^:}]+)*?):SecretString:([^:}]*):([^:}]*):([^:}]*)\}\}/g;

/**
 * Replaces `{{resolve:secretsmanager:<secret>:SecretString:<json-key>:...}}` with the secret's
 * value (`secretValue(<secret id or ARN>)`); JSON keys are not supported (the stack uses none).
 */
export function resolveDynamicReferences(text: string, secretValue: (secretId: string) => string | undefined, where: string): string {
  return text.replace(SECRET_REFERENCE, (_m, secretId: string, jsonKey: string) => {
    if (jsonKey) throw new UnresolvableError(`a secret's JSON key ${jsonKey}`, where);
    const value = secretValue(secretId);
    if (value === undefined) throw new UnresolvableError(`secret ${secretId}`, where);
    return value;
  });
}

/** The logical id a `{Ref: X}` or `{Fn::GetAtt: [X, ...]}` points at, without resolving it. */
export function referencedId(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** Logical ids and resources of one type, in template order. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
