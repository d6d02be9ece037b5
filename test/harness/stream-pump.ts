/**
 * The DynamoDB stream, for the harness: dynalite has no streams, so this pump polls the metadata
 * table for outbox items (the only records the stream consumer relays, src/adapters/aws/
 * stream-events.ts), and hands each new one to the template's stream consumer Lambda as the
 * INSERT record DynamoDB Streams would carry (NEW_AND_OLD_IMAGES, keys and new image), in
 * batches, as the event source mapping does. A record the consumer names in batchItemFailures
 * is offered again on the next poll, as Lambda retries it. Only INSERTs of outbox items are
 * produced: the consumer ignores every other record anyway.
 */
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ATTR } from '../../src/adapters/aws/dynamodb-keys.js';
import type { DynamoDBStreamRecordLike } from '../../src/adapters/aws/stream-events.js';
import { toStreamJson } from '../adapters/dynamodb-stream-recorder.js';
import type { InvokeOutcome } from './lambda-runtime.js';

export interface StreamPumpOptions {
  dynamodb: DynamoDBClient;
  tableName: string;
  region: string;
  /** Invokes the stream consumer with one batch (a DynamoDBStreamEvent as JSON). */
  invoke(event: string): Promise<InvokeOutcome>;
  /** @default 250 ms */
  intervalMs?: number;
}

export class OutboxStreamPump {
  private readonly relayed = new Set<string>();
  private sequence = 0;
  private readonly sequenceOf = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  /** Consumer invocations that failed (an error, a timeout); the test asserts there are none. */
  readonly failures: string[] = [];

  constructor(private readonly options: StreamPumpOptions) {}

  start(): void {
    const tick = () => {
      this.running = this.poll()
        .catch((err) => void this.failures.push((err as Error).message))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs ?? 250);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async poll(): Promise<void> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.options.dynamodb.send(
        new ScanCommand({
          TableName: this.options.tableName,
          FilterExpression: '#kind = :outbox',
          ExpressionAttributeNames: { '#kind': ATTR.kind },
          ExpressionAttributeValues: { ':outbox': { S: 'outbox' } },
          ConsistentRead: true,
          ...(start && { ExclusiveStartKey: start }),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const keyOf = (item: Record<string, AttributeValue>) => `${item[ATTR.pk]?.S}\u0000${item[ATTR.sk]?.S}`;
    const fresh = items.filter((i) => !this.relayed.has(keyOf(i))).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    if (fresh.length === 0) return;
    const records: DynamoDBStreamRecordLike[] = fresh.map((item) => {
      const key = keyOf(item);
      let sequenceNumber = this.sequenceOf.get(key);
      if (!sequenceNumber) {
        sequenceNumber = String(++this.sequence).padStart(21, '0');
        this.sequenceOf.set(key, sequenceNumber);
      }
      return {
        eventID: `pump-${sequenceNumber}`,
        eventName: 'INSERT',
        eventSource: 'aws:dynamodb',
        dynamodb: {
          ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
          Keys: toStreamJson({ [ATTR.pk]: item[ATTR.pk] as AttributeValue, [ATTR.sk]: item[ATTR.sk] as AttributeValue }),
          NewImage: toStreamJson(item),
          SequenceNumber: sequenceNumber,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
      };
    });
    const outcome = await this.options.invoke(JSON.stringify({ Records: records.map((r) => ({ ...r, awsRegion: this.options.region })) }));
    if (outcome.kind !== 'result') {
      this.failures.push(outcome.kind === 'error' ? `${outcome.errorType}: ${outcome.errorMessage}` : 'the consumer timed out');
      return;
    }
    // Records before the first failed one are done; it and the rest come again next time.
    const failed = (JSON.parse(outcome.payload) as { batchItemFailures?: { itemIdentifier: string }[] }).batchItemFailures?.[0]?.itemIdentifier;
    for (const [i, item] of fresh.entries()) {
      if (failed !== undefined && records[i]?.dynamodb?.SequenceNumber === failed) break;
      this.relayed.add(keyOf(item));
    }
  }
}
