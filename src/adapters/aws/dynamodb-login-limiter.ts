/**
 * LoginLimiter on the metadata table, for the token endpoint on Lambda: many short-lived
 * containers answer /token at once, so per-process counting (the embedded MemoryLoginLimiter)
 * would let a guesser spread attempts over containers and outlive each of them. The contract
 * (pair backoff, address window) is in src/ports/login-limiter.ts.
 *
 * - A (user, address) pair: one item (keys.loginBackoff, the pair hashed) holding `failures`
 *   and `lastFailureAt`, incremented atomically (UpdateItem ADD) while the last failure is
 *   recent; a stale item is restarted at 1 by a conditional write instead. TTL removes it
 *   `pairMemorySeconds` after its last failure; correctness never depends on TTL.
 * - An address: fixed windows, one counter item per window (keys.loginFailures), expiring one
 *   window after its own ends. Across a window boundary up to twice the limit can pass in quick
 *   succession; Cognito's own lockout after repeated failed sign-ins still applies on top.
 *
 * The items carry no registry kind, so the stream consumer publishes nothing for them.
 * The limiter fails open: if DynamoDB cannot be read or written, logins go ahead (Cognito still
 * checks every credential) and the failure is logged.
 */
import { createHash } from 'node:crypto';
import { BatchGetItemCommand, DeleteItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  addressKey,
  backoffSeconds,
  DEFAULT_LOGIN_LIMITS,
  type LimitDecision,
  type LoginAttempt,
  type LoginLimiter,
  type LoginLimits,
  pairKey,
} from '../../ports/login-limiter.js';
import { ATTR, type Key, keys } from './dynamodb-keys.js';
import { jsonRecordsTo, log as processLog } from '../../log/logger.js';

export interface DynamoDbLoginLimiterOptions {
  client: DynamoDBClient;
  tableName: string;
  limits?: LoginLimits;
  now?: () => number;
  log?: (line: string) => void;
}

type Item = Record<string, { N?: string; S?: string }>;

const hashOf = (key: string) => createHash('sha256').update(key).digest('base64url');
const dynamoKey = (k: Key) => ({ [ATTR.pk]: { S: k.PK }, [ATTR.sk]: { S: k.SK } });

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

  /** The items of an attempt: its pair's backoff item and its address's current window item. */
  private itemsOf(attempt: LoginAttempt): { pair: Key | null; address: Key | null } {
    const pk = pairKey(attempt);
    const ak = addressKey(attempt);
    return { pair: pk === null ? null : keys.loginBackoff(hashOf(pk)), address: ak === null ? null : keys.loginFailures(hashOf(ak), this.window().start) };
  }

  private warn(message: string, err: unknown): void {
    this.log(JSON.stringify({ level: 'warn', message: `login limiter: ${message}`, error: (err as Error).name }));
  }

  async check(attempt: LoginAttempt): Promise<LimitDecision> {
    const { pair, address } = this.itemsOf(attempt);
    const wanted = [pair, address].filter((k): k is Key => k !== null);
    if (wanted.length === 0) return { allowed: true };
    let items: Item[];
    try {
      const out = await this.options.client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [this.options.tableName]: {
              Keys: wanted.map(dynamoKey),
              ConsistentRead: true,
              ProjectionExpression: '#pk, #sk, #f, #last',
              ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk, '#f': ATTR.failures, '#last': ATTR.lastFailureAt },
            },
          },
        }),
      );
      items = (out.Responses?.[this.options.tableName] ?? []) as Item[];
    } catch (err) {
      this.warn('could not read the failure counters; letting the login through', err);
      return { allowed: true };
    }
    const find = (k: Key | null) => (k ? items.find((i) => i[ATTR.pk]?.S === k.PK && i[ATTR.sk]?.S === k.SK) : undefined);
    const now = this.now();
    let waitMs = 0;
    const pairItem = find(pair);
    if (pairItem) {
      const lastAt = Number(pairItem[ATTR.lastFailureAt]?.N ?? '0');
      if (lastAt + this.limits.pairMemorySeconds * 1000 > now) {
        waitMs = lastAt + backoffSeconds(this.limits, Number(pairItem[ATTR.failures]?.N ?? '0')) * 1000 - now;
      }
    }
    const addressItem = find(address);
    if (addressItem && Number(addressItem[ATTR.failures]?.N ?? '0') >= this.limits.perAddress) {
      waitMs = Math.max(waitMs, this.window().end - now);
    }
    return waitMs > 0 ? { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) } : { allowed: true };
  }

  async recordFailure(attempt: LoginAttempt): Promise<void> {
    const { pair, address } = this.itemsOf(attempt);
    await Promise.all([pair && this.countPairFailure(pair), address && this.countAddressFailure(address)]);
  }

  /** ADD 1 while the pair's last failure is recent; else restart the count at 1 (a conditional write each, so concurrent failures all count). */
  private async countPairFailure(item: Key): Promise<void> {
    const now = this.now();
    const stale = now - this.limits.pairMemorySeconds * 1000;
    const values = { ':one': { N: '1' }, ':now': { N: String(now) }, ':stale': { N: String(stale) }, ':exp': { N: String(Math.ceil(now / 1000) + this.limits.pairMemorySeconds) } };
    const names = { '#f': ATTR.failures, '#last': ATTR.lastFailureAt, '#exp': ATTR.expiresAt };
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await this.options.client.send(
            new UpdateItemCommand({
              TableName: this.options.tableName,
              Key: dynamoKey(item),
              UpdateExpression: 'ADD #f :one SET #last = :now, #exp = :exp',
              ConditionExpression: 'attribute_not_exists(#last) OR #last > :stale',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            }),
          );
          return;
        } catch (err) {
          if (!conditionFailed(err)) throw err;
        }
        try {
          await this.options.client.send(
            new UpdateItemCommand({
              TableName: this.options.tableName,
              Key: dynamoKey(item),
              UpdateExpression: 'SET #f = :one, #last = :now, #exp = :exp',
              ConditionExpression: '#last <= :stale',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            }),
          );
          return;
        } catch (err) {
          if (!conditionFailed(err)) throw err; // another writer restarted it: count on top
        }
      }
    } catch (err) {
      this.warn('could not count a failed login', err);
    }
  }

  private async countAddressFailure(item: Key): Promise<void> {
    const expiresAt = Math.ceil((this.window().end + this.limits.windowSeconds * 1000) / 1000);
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: dynamoKey(item),
          UpdateExpression: 'ADD #f :one SET #exp = :exp',
          ExpressionAttributeNames: { '#f': ATTR.failures, '#exp': ATTR.expiresAt },
          ExpressionAttributeValues: { ':one': { N: '1' }, ':exp': { N: String(expiresAt) } },
        }),
      );
    } catch (err) {
      this.warn('could not count a failed login', err);
    }
  }

  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    const { pair } = this.itemsOf(attempt);
    if (!pair) return;
    try {
      await this.options.client.send(new DeleteItemCommand({ TableName: this.options.tableName, Key: dynamoKey(pair) }));
    } catch (err) {
      this.warn('could not reset a counter', err);
    }
  }
}

const conditionFailed = (err: unknown) => (err as { name?: string }).name === 'ConditionalCheckFailedException';
