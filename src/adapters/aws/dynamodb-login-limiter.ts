/**
 * LoginLimiter on the metadata table, for the token endpoint on Lambda: many short-lived
 * containers answer /token at once, so per-process counting (the embedded MemoryLoginLimiter)
 * would let a guesser spread attempts over containers and outlive each of them.
 *
 * Fixed windows: one counter item per limiter key and window (keys.loginFailures, the key
 * hashed), `failures` incremented atomically (UpdateItem ADD), expiring through the table's TTL
 * one window after its own ends. A key with `limit` failures in the current window waits for the
 * window's end (Retry-After). Across a window boundary up to twice the limit can pass in quick
 * succession; Cognito's own lockout of a user after repeated failed sign-ins still applies on
 * top. Limits and window are the embedded server's (5 per principal, 20 per client address,
 * 5 minutes). The items carry no registry kind, so the stream consumer publishes nothing for
 * them; TTL does the cleanup, correctness never depends on it (dynalite has no TTL).
 *
 * The limiter fails open: if DynamoDB cannot be read or written, logins go ahead (Cognito still
 * checks every credential) and the failure is logged.
 */
import { createHash } from 'node:crypto';
import { BatchGetItemCommand, DeleteItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LimitDecision, LoginLimiter } from '../../ports/login-limiter.js';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from '../embedded/login-limiter.js';
import { ATTR, keys } from './dynamodb-keys.js';
import { jsonRecordsTo, log as processLog } from '../../log/logger.js';

export interface DynamoDbLoginLimiterOptions {
  client: DynamoDBClient;
  tableName: string;
  limits?: LoginLimits;
  now?: () => number;
  log?: (line: string) => void;
}

export class DynamoDbLoginLimiter implements LoginLimiter {
  private readonly limits: LoginLimits;
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: DynamoDbLoginLimiterOptions) {
    this.limits = options.limits ?? DEFAULT_LOGIN_LIMITS;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? jsonRecordsTo(processLog, 'warn', 'login limiter');
  }

  private window(): { start: number; end: number } {
    const ms = this.limits.windowSeconds * 1000;
    const start = Math.floor(this.now() / ms) * ms;
    return { start, end: start + ms };
  }

  private keyOf(key: string, windowStart: number) {
    return keys.loginFailures(createHash('sha256').update(key).digest('base64url'), windowStart);
  }

  private limitOf(key: string): number {
    return key.startsWith('address:') ? this.limits.perAddress : this.limits.perPrincipal;
  }

  async check(limiterKeys: readonly string[]): Promise<LimitDecision> {
    if (limiterKeys.length === 0) return { allowed: true };
    const { start, end } = this.window();
    const wanted = limiterKeys.map((k) => ({ key: k, item: this.keyOf(k, start) }));
    let items: Record<string, { N?: string; S?: string }>[];
    try {
      const out = await this.options.client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [this.options.tableName]: {
              Keys: wanted.map(({ item }) => ({ [ATTR.pk]: { S: item.PK }, [ATTR.sk]: { S: item.SK } })),
              ConsistentRead: true,
              ProjectionExpression: '#pk, #f',
              ExpressionAttributeNames: { '#pk': ATTR.pk, '#f': ATTR.failures },
            },
          },
        }),
      );
      items = (out.Responses?.[this.options.tableName] ?? []) as typeof items;
    } catch (err) {
      this.log(JSON.stringify({ level: 'warn', message: 'login limiter: could not read the failure counters; letting the login through', error: (err as Error).name }));
      return { allowed: true };
    }
    const failuresByPk = new Map(items.map((i) => [i[ATTR.pk]?.S, Number(i[ATTR.failures]?.N ?? '0')]));
    const blocked = wanted.some(({ key, item }) => (failuresByPk.get(item.PK) ?? 0) >= this.limitOf(key));
    return blocked ? { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((end - this.now()) / 1000)) } : { allowed: true };
  }

  async recordFailure(limiterKeys: readonly string[]): Promise<void> {
    const { start, end } = this.window();
    const expiresAt = Math.ceil((end + this.limits.windowSeconds * 1000) / 1000);
    await Promise.all(
      limiterKeys.map(async (k) => {
        const item = this.keyOf(k, start);
        try {
          await this.options.client.send(
            new UpdateItemCommand({
              TableName: this.options.tableName,
              Key: { [ATTR.pk]: { S: item.PK }, [ATTR.sk]: { S: item.SK } },
              UpdateExpression: 'ADD #f :one SET #exp = :exp',
              ExpressionAttributeNames: { '#f': ATTR.failures, '#exp': ATTR.expiresAt },
              ExpressionAttributeValues: { ':one': { N: '1' }, ':exp': { N: String(expiresAt) } },
            }),
          );
        } catch (err) {
          this.log(JSON.stringify({ level: 'warn', message: 'login limiter: could not count a failed login', error: (err as Error).name }));
        }
      }),
    );
  }

  async recordSuccess(limiterKeys: readonly string[]): Promise<void> {
    const { start } = this.window();
    await Promise.all(
      limiterKeys.map(async (k) => {
        const item = this.keyOf(k, start);
        try {
          await this.options.client.send(new DeleteItemCommand({ TableName: this.options.tableName, Key: { [ATTR.pk]: { S: item.PK }, [ATTR.sk]: { S: item.SK } } }));
        } catch (err) {
          this.log(JSON.stringify({ level: 'warn', message: 'login limiter: could not reset a counter', error: (err as Error).name }));
        }
      }),
    );
  }
}
