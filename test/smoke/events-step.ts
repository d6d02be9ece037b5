/**
 * The smoke's `events` check: a push and a delete reach the stack's EventBridge bus with ECR's
 * "Image Action" detail (src/core/event-payload.ts). On AWS the event travels from the table's
 * outbox item through the DynamoDB stream and the consumer Lambda to the bus, which only a
 * deployment has, so the check listens on the bus itself:
 *
 *   1. a temporary SQS queue `stowage-smoke-<run id>` and a rule of the same name on the bus,
 *      matching only this run's repository (source `stowage`, detail.repository-name), with the
 *      queue as its target and a queue policy that lets only that rule send (events.amazonaws.com,
 *      aws:SourceArn = the rule);
 *   2. push a small image, wait (with a deadline) for its PUSH event and check its detail;
 *   3. delete the manifest, wait for its DELETE events (one for its tag, one for the manifest:
 *      docs/events.md), so that none is still on its way when the queue goes;
 *   4. always, in a finally: remove the target, the rule and the queue. A leftover is a failure
 *      of the check that names it.
 * The caller needs the permissions listed in docs/deploy.md ("The smoke test").
 */
import { DeleteRuleCommand, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type EventDetail } from '../../src/core/event-payload.js';
import { OCI_MANIFEST } from '../helpers/synthetic-push.js';
import type { SmokeAws } from './aws.js';
import type { SmokeImage, SmokeRegistry } from './step.js';

/** The EventBridge envelope an SQS target receives as the message body. */
export interface ReceivedEvent {
  id: string;
  source: string;
  'detail-type': string;
  time: string;
  detail: EventDetail;
}

export interface ExpectedEvent {
  action: 'PUSH' | 'DELETE';
  repository: string;
  digest: string;
  /** The tag the event names; null: none (a manifest's own event); undefined: either. */
  tag?: string | null;
  mediaType?: string;
}

/** The repository the check pushes to (the rule matches only it). */
export const eventsRepository = (runId: string) => `smoke/${runId}/events`;
/** The name of the temporary queue and rule. */
export const listenerName = (runId: string) => `stowage-smoke-${runId}`;

/** The rule's pattern: this run's repository on the registry's source. */
export function listenerPattern(repository: string): string {
  return JSON.stringify({ source: [EVENT_SOURCE], detail: { 'repository-name': [repository] } });
}

/** Is this the event awaited (same action, digest and, when given, tag)? */
export function isAwaited(event: ReceivedEvent, expected: ExpectedEvent): boolean {
  const d = event.detail;
  return d?.['action-type'] === expected.action && d?.['image-digest'] === expected.digest && (expected.tag === undefined || (d['image-tag'] ?? null) === expected.tag);
}

/** What differs from the ECR-shaped detail a scanner expects; empty when it all holds. */
export function eventProblems(event: ReceivedEvent, expected: ExpectedEvent): string[] {
  const problems: string[] = [];
  const want = (what: string, got: unknown, expect: unknown) => {
    if (got !== expect) problems.push(`${what} is ${JSON.stringify(got)}, expected ${JSON.stringify(expect)}`);
  };
  want('source', event.source, EVENT_SOURCE);
  if (typeof event['detail-type'] !== 'string' || event['detail-type'] === '') problems.push('no detail-type');
  const d = event.detail ?? ({} as Partial<EventDetail>);
  want('detail.action-type', d['action-type'], expected.action);
  want('detail.result', d.result, 'SUCCESS');
  want('detail.repository-name', d['repository-name'], expected.repository);
  want('detail.image-digest', d['image-digest'], expected.digest);
  if (expected.tag !== undefined) want('detail.image-tag', d['image-tag'] ?? null, expected.tag);
  if (expected.mediaType !== undefined) want('detail.manifest-media-type', d['manifest-media-type'], expected.mediaType);
  if (typeof d['event-id'] !== 'string' || d['event-id'] === '') problems.push('no detail.event-id');
  return problems;
}

export interface EventsStepOptions {
  aws: SmokeAws;
  registry: SmokeRegistry;
  busName: string;
  runId: string;
  /** How long to wait for each event. @default 120 s */
  deadlineMs?: number;
  /** Pause after the rule is in place (EventBridge applies new rules within seconds). @default 5 s */
  settleMs?: number;
  log?: (line: string) => void;
}

/** Runs the check; the image it pushed and then deleted is returned for the gc check. */
export async function eventsStep(o: EventsStepOptions): Promise<{ detail: string; deleted: SmokeImage }> {
  const { aws, registry } = o;
  const log = o.log ?? (() => {});
  const name = listenerName(o.runId);
  const repository = eventsRepository(o.runId);
  const deadlineMs = o.deadlineMs ?? 120_000;
  const created: { queueUrl?: string; rule?: boolean; target?: boolean } = {};
  let outcome: { detail: string; deleted: SmokeImage } | undefined;
  let failure: unknown;
  try {
    const queue = await aws.sqs('CreateQueue', { QueueName: name, Attributes: { MessageRetentionPeriod: '900' } });
    created.queueUrl = String(queue.QueueUrl);
    const attributes = await aws.sqs('GetQueueAttributes', { QueueUrl: created.queueUrl, AttributeNames: ['QueueArn'] });
    const queueArn = String((attributes.Attributes as Record<string, string> | undefined)?.QueueArn);
    const rule = await aws.eventBridge.send(
      new PutRuleCommand({ Name: name, EventBusName: o.busName, EventPattern: listenerPattern(repository), State: 'ENABLED', Description: 'stowage smoke test (temporary)' }),
    );
    created.rule = true;
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: queueArn,
          Condition: { ArnEquals: { 'aws:SourceArn': rule.RuleArn } },
        },
      ],
    };
    await aws.sqs('SetQueueAttributes', { QueueUrl: created.queueUrl, Attributes: { Policy: JSON.stringify(policy) } });
    const targets = await aws.eventBridge.send(new PutTargetsCommand({ Rule: name, EventBusName: o.busName, Targets: [{ Id: 'smoke-queue', Arn: queueArn }] }));
    created.target = true;
    if (targets.FailedEntryCount) throw new Error(`PutTargets refused the queue: ${JSON.stringify(targets.FailedEntries)}`);
    log(`events: listening on ${o.busName} with rule and queue ${name}`);
    await new Promise((r) => setTimeout(r, o.settleMs ?? 5_000));

    const received = new Map<string, ReceivedEvent>();
    const waitFor = async (expected: ExpectedEvent): Promise<{ event: ReceivedEvent; ms: number }> => {
      const started = Date.now();
      const deadline = started + deadlineMs;
      for (;;) {
        const found = [...received.values()].find((e) => isAwaited(e, expected));
        if (found) return { event: found, ms: Date.now() - started };
        const left = deadline - Date.now();
        if (left <= 0) {
          const seen = [...received.values()].map((e) => `${e.detail?.['action-type']} ${e.detail?.['image-digest']}`).join(', ') || 'none';
          throw new Error(`no ${expected.action} event for ${expected.repository}@${expected.digest} within ${deadlineMs / 1000} s (events seen: ${seen})`);
        }
        const answer = await aws.sqs('ReceiveMessage', {
          QueueUrl: created.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: Math.max(1, Math.min(20, Math.floor(left / 1000))),
        });
        for (const m of (answer.Messages as { MessageId: string; Body: string }[] | undefined) ?? []) {
          try {
            received.set(m.MessageId, JSON.parse(m.Body) as ReceivedEvent);
          } catch {
            throw new Error(`the queue got a message that is not JSON: ${m.Body.slice(0, 200)}`);
          }
        }
      }
    };
    const check = (event: ReceivedEvent, expected: ExpectedEvent) => {
      const problems = eventProblems(event, expected);
      if (problems.length > 0) throw new Error(`the ${expected.action} event's detail: ${problems.join('; ')}`);
    };

    const pushed = await registry.client.pushImage(repository, 'v1');
    const image: SmokeImage = { repo: repository, tag: 'v1', digest: pushed.digest, blobs: [pushed.config.digest, ...pushed.layers.map((l) => l.digest)] };
    const push = await waitFor({ action: 'PUSH', repository, digest: pushed.digest, tag: 'v1', mediaType: OCI_MANIFEST });
    check(push.event, { action: 'PUSH', repository, digest: pushed.digest, tag: 'v1', mediaType: OCI_MANIFEST });

    const res = await registry.client.call('DELETE', `/v2/${repository}/manifests/${pushed.digest}`, {}, `repository:${repository}:delete`);
    await res.arrayBuffer();
    if (res.status !== 202) throw new Error(`DELETE ${repository}@${pushed.digest} -> ${res.status}`);
    const deletedAt = Date.now();
    for (const tag of ['v1', null]) {
      const expected: ExpectedEvent = { action: 'DELETE', repository, digest: pushed.digest, tag };
      check((await waitFor(expected)).event, expected);
    }
    const deletionMs = Date.now() - deletedAt;

    const deleted: SmokeImage = { repo: image.repo, digest: image.digest, blobs: image.blobs };
    outcome = {
      detail: `PUSH after ${(push.ms / 1000).toFixed(1)} s and DELETE (tag and manifest) after ${(deletionMs / 1000).toFixed(1)} s on bus ${o.busName}, detail ECR-shaped (${push.event['detail-type']}): ${repository}@${pushed.digest}`,
      deleted,
    };
  } catch (err) {
    failure = err;
  } finally {
    const leftovers = await removeListener(aws, name, o.busName, created);
    if (leftovers.length > 0) {
      const message = `left behind: ${leftovers.join('; ')}`;
      failure = failure instanceof Error ? new Error(`${failure.message}\n${message}`) : new Error(message);
    }
  }
  if (failure !== undefined || !outcome) throw failure;
  return outcome;
}

/** Removes what eventsStep created, each step on its own; returns what could not be removed. */
async function removeListener(aws: SmokeAws, name: string, busName: string, created: { queueUrl?: string; rule?: boolean; target?: boolean }): Promise<string[]> {
  const leftovers: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      leftovers.push(`${what} (${(err as Error).message})`);
    }
  };
  if (created.target) await attempt(`target of rule ${name}`, () => aws.eventBridge.send(new RemoveTargetsCommand({ Rule: name, EventBusName: busName, Ids: ['smoke-queue'] })));
  if (created.rule) await attempt(`rule ${name} on ${busName}`, () => aws.eventBridge.send(new DeleteRuleCommand({ Name: name, EventBusName: busName })));
  if (created.queueUrl) await attempt(`queue ${created.queueUrl}`, () => aws.sqs('DeleteQueue', { QueueUrl: created.queueUrl }));
  return leftovers;
}
