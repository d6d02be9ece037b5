/**
 * A stand-in for one EventBridge bus with rules and SQS targets, for the smoke test's events
 * check (no EventBridge emulator exists). It speaks the AWS JSON 1.1 protocol the SDK client
 * sends (PutRule, PutTargets, RemoveTargets, DeleteRule, PutEvents) and delivers each event that
 * a rule's pattern matches to the rule's SQS targets on a real SQS emulator (fauxqs), as
 * EventBridge does: the envelope as the message body, and only when the queue's policy lets
 * events.amazonaws.com send for that rule (aws:SourceArn); otherwise the delivery fails and is
 * recorded. As on AWS, a rule that still has targets cannot be deleted, and an unknown bus is
 * ResourceNotFoundException.
 *
 * Patterns: exact values (arrays of strings, numbers, booleans) in nested objects, which is what
 * the smoke uses; any other operator is refused with a message rather than misread.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Rule {
  name: string;
  arn: string;
  pattern: Record<string, unknown>;
  enabled: boolean;
  targets: Map<string, string>; // id -> ARN
}

export interface Delivery {
  rule: string;
  target: string;
  /** The event's detail. */
  detail: unknown;
  delivered: boolean;
  reason?: string;
}

export interface EventBridgeBusStandIn {
  url: string;
  busName: string;
  /** Rules on the bus now (what the smoke leaves behind shows here). */
  rules(): string[];
  /** Every delivery attempt to a target, in order. */
  deliveries: Delivery[];
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Does `value` match `pattern` (exact-value arrays in nested objects)? */
export function matchesPattern(pattern: Record<string, unknown>, value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(pattern).every(([key, want]) => {
    const got = (value as Record<string, unknown>)[key];
    if (Array.isArray(want)) {
      for (const w of want)
        if (w !== null && typeof w === 'object') throw new ApiError('InvalidEventPatternException', `the stand-in does not support the operator ${JSON.stringify(w)}`);
      return want.some((w) => w === got);
    }
    if (want !== null && typeof want === 'object') return matchesPattern(want as Record<string, unknown>, got);
    throw new ApiError('InvalidEventPatternException', `pattern value for ${key} must be an array or an object`);
  });
}

/** Does the queue's policy let EventBridge send for this rule? */
export function policyAllows(policyText: string | undefined, queueArn: string, ruleArn: string): string | undefined {
  if (!policyText) return 'the queue has no policy: EventBridge may not send to it';
  const policy = JSON.parse(policyText) as { Statement?: unknown };
  const statements = (Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]) as Record<string, unknown>[];
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]) as unknown[];
  const ok = statements.some((s) => {
    if (s.Effect !== 'Allow') return false;
    const principal = s.Principal as { Service?: unknown } | string | undefined;
    const service = principal === '*' || list(typeof principal === 'object' ? principal.Service : undefined).includes('events.amazonaws.com');
    const action = list(s.Action).some((a) => a === 'sqs:SendMessage' || a === 'sqs:*' || a === '*');
    const resource = list(s.Resource).some((r) => r === queueArn || r === '*');
    const condition = s.Condition as Record<string, Record<string, unknown>> | undefined;
    const source = condition?.ArnEquals?.['aws:SourceArn'] ?? condition?.ArnLike?.['aws:SourceArn'];
    return service && action && resource && (source === undefined || list(source).includes(ruleArn));
  });
  return ok ? undefined : `the queue's policy does not let events.amazonaws.com send for ${ruleArn}`;
}

export async function startEventBridgeBus(options: { busName: string; region: string; accountId: string; sqsEndpoint: string }): Promise<EventBridgeBusStandIn> {
  const { busName, region, accountId } = options;
  const rules = new Map<string, Rule>();
  const deliveries: Delivery[] = [];
  const busArn = `arn:aws:events:${region}:${accountId}:event-bus/${busName}`;
  // fauxqs takes the region from the credential scope of the Authorization header.
  const sqs = async (action: string, input: Record<string, unknown>) => {
    const res = await fetch(new URL('/', options.sqsEndpoint), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `AmazonSQS.${action}`,
        authorization: `AWS4-HMAC-SHA256 Credential=events/20260101/${region}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(input),
    });
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status !== 200) throw new Error(`SQS ${action}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const bus = (name: unknown) => {
    const given = name === undefined ? 'default' : String(name);
    if (given !== busName && given !== busArn) throw new ApiError('ResourceNotFoundException', `Event bus ${given} does not exist.`);
  };
  const rule = (name: unknown) => {
    const r = rules.get(String(name));
    if (!r) throw new ApiError('ResourceNotFoundException', `Rule ${String(name)} does not exist on EventBus ${busName}.`);
    return r;
  };

  const deliver = async (r: Rule, targetArn: string, envelope: { detail: unknown }) => {
    const { detail } = envelope;
    try {
      const [, , service, , , queueName] = targetArn.split(':');
      if (service !== 'sqs' || !queueName) throw new Error(`the stand-in delivers to SQS queues only, not ${targetArn}`);
      const { QueueUrl } = await sqs('GetQueueUrl', { QueueName: queueName });
      const attributes = await sqs('GetQueueAttributes', { QueueUrl, AttributeNames: ['Policy'] });
      const refused = policyAllows((attributes.Attributes as Record<string, string> | undefined)?.Policy, targetArn, r.arn);
      if (refused) throw new Error(refused);
      await sqs('SendMessage', { QueueUrl, MessageBody: JSON.stringify(envelope) });
      deliveries.push({ rule: r.name, target: targetArn, detail, delivered: true });
    } catch (err) {
      deliveries.push({ rule: r.name, target: targetArn, detail, delivered: false, reason: (err as Error).message });
    }
  };

  const actions: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
    async PutRule(input) {
      bus(input.EventBusName);
      const name = String(input.Name);
      const arn = `arn:aws:events:${region}:${accountId}:rule/${busName}/${name}`;
      const pattern = JSON.parse(String(input.EventPattern)) as Record<string, unknown>;
      matchesPattern(pattern, {}); // refuses unsupported operators now, as PutRule validates
      rules.set(name, { name, arn, pattern, enabled: input.State !== 'DISABLED', targets: rules.get(name)?.targets ?? new Map() });
      return { RuleArn: arn };
    },
    async PutTargets(input) {
      bus(input.EventBusName);
      const r = rule(input.Rule);
      for (const t of input.Targets as { Id: string; Arn: string }[]) r.targets.set(t.Id, t.Arn);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    async RemoveTargets(input) {
      bus(input.EventBusName);
      const r = rule(input.Rule);
      for (const id of input.Ids as string[]) r.targets.delete(id);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    async DeleteRule(input) {
      bus(input.EventBusName);
      const r = rules.get(String(input.Name));
      if (r && r.targets.size > 0) throw new ApiError('ValidationException', "Rule can't be deleted since it has targets.");
      rules.delete(String(input.Name));
      return {};
    },
    async PutEvents(input) {
      const entries = input.Entries as { EventBusName?: string; Source: string; DetailType: string; Detail: string; Time?: number | string; Resources?: string[] }[];
      const results: { EventId: string }[] = [];
      for (const e of entries) {
        bus(e.EventBusName);
        const time = e.Time === undefined ? new Date() : new Date(typeof e.Time === 'number' ? e.Time * 1000 : e.Time);
        const envelope = {
          version: '0',
          id: randomUUID(),
          'detail-type': e.DetailType,
          source: e.Source,
          account: accountId,
          time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region,
          resources: e.Resources ?? [],
          detail: JSON.parse(e.Detail) as unknown,
        };
        for (const r of rules.values()) {
          if (!r.enabled || !matchesPattern(r.pattern, envelope)) continue;
          for (const target of r.targets.values()) await deliver(r, target, envelope);
        }
        results.push({ EventId: envelope.id });
      }
      return { FailedEntryCount: 0, Entries: results };
    },
  };

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = actions[target.replace(/^AWSEvents\./, '')];
      let status = 200;
      let body: unknown;
      try {
        if (!action) throw new ApiError('UnknownOperationException', `the stand-in does not implement ${target}`);
        body = await action(JSON.parse(raw || '{}') as Record<string, unknown>);
      } catch (err) {
        status = 400;
        body = err instanceof ApiError ? { __type: err.type, message: err.message } : { __type: 'InternalException', message: (err as Error).message };
        if (!(err instanceof ApiError)) status = 500;
      }
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    busName,
    rules: () => [...rules.keys()],
    deliveries,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
