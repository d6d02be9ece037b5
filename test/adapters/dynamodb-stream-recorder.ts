/**
 * A stand-in for DynamoDB Streams, which no local emulator has: a client middleware that
 * serialises the writes sent through a client, reads each written item before and after (with a
 * second client), and emits the record DynamoDB Streams would (NEW_AND_OLD_IMAGES, in the JSON
 * shape Lambda receives: binary values as base64). Like the real stream, a write that changes
 * nothing yields no record. Deterministic: event ids, sequence numbers and times are counters.
 */
import { createHash } from 'node:crypto';
import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamRecordLike, StreamAttributeValue } from '../../src/adapters/aws/stream-events.js';

type RawItem = Record<string, AttributeValue>;

/** 2026-01-01T00:00:00Z, the first record's ApproximateCreationDateTime (one second per record). */
const EPOCH_SECONDS = 1767225600;
const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/stowage-metadata/stream/2026-01-01T00:00:00.000';

export class StreamRecorder {
  private records: DynamoDBStreamRecordLike[] = [];
  private sequence = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private recording = false;

  constructor(
    private readonly reader: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Records the writes sent through `client` from now on (until stop()). */
  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const keys = this.recording ? writtenKeys(String(context.commandName), args.input as WriteInput) : [];
        if (keys.length === 0) return next(args);
        // One write at a time, so each before/after pair brackets exactly that write.
        const run = this.tail.then(async () => {
          const before = await Promise.all(keys.map((k) => this.read(k)));
          try {
            return await next(args);
          } finally {
            const afterImages = await Promise.all(keys.map((k) => this.read(k)));
            for (const [i, k] of keys.entries()) this.emit(k, before[i] ?? null, afterImages[i] ?? null);
          }
        });
        this.tail = run.catch(() => undefined);
        return run;
      },
      { step: 'initialize', name: 'stowageStreamRecorder' },
    );
  }

  start(): void {
    this.recording = true;
  }

  /** Stops recording and returns the records since start(). */
  async stop(): Promise<DynamoDBStreamRecordLike[]> {
    await this.tail;
    this.recording = false;
    const out = this.records;
    this.records = [];
    return out;
  }

  private async read(key: RawItem): Promise<RawItem | null> {
    const out = await this.reader.send(new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return out.Item ?? null;
  }

  private emit(key: RawItem, before: RawItem | null, after: RawItem | null): void {
    if (!before && !after) return;
    const oldImage = before ? sortKeys(toStreamJson(before)) : undefined;
    const newImage = after ? sortKeys(toStreamJson(after)) : undefined;
    if (JSON.stringify(oldImage) === JSON.stringify(newImage)) return;
    const n = ++this.sequence;
    const dynamodb = {
      ApproximateCreationDateTime: EPOCH_SECONDS + n,
      Keys: toStreamJson(key),
      ...(newImage && { NewImage: newImage }),
      ...(oldImage && { OldImage: oldImage }),
      SequenceNumber: `1${String(n).padStart(20, '0')}`,
      SizeBytes: Buffer.byteLength(JSON.stringify({ key, newImage, oldImage })),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    };
    this.records.push({
      eventID: createHash('md5').update(String(n)).digest('hex'),
      eventName: !before ? 'INSERT' : !after ? 'REMOVE' : 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb,
      eventSourceARN: STREAM_ARN,
    } as DynamoDBStreamRecordLike);
  }
}

interface WriteInput {
  Item?: RawItem;
  Key?: RawItem;
  RequestItems?: Record<string, { PutRequest?: { Item?: RawItem }; DeleteRequest?: { Key?: RawItem } }[]>;
}

/** The table keys a write command touches. */
function writtenKeys(command: string, input: WriteInput): RawItem[] {
  const keyOf = (item: RawItem): RawItem => ({ PK: item.PK!, SK: item.SK! });
  switch (command) {
    case 'PutItemCommand':
      return input.Item ? [keyOf(input.Item)] : [];
    case 'DeleteItemCommand':
    case 'UpdateItemCommand':
      return input.Key ? [keyOf(input.Key)] : [];
    case 'BatchWriteItemCommand':
      return Object.values(input.RequestItems ?? {})
        .flat()
        .flatMap((r) => (r.PutRequest?.Item ? [keyOf(r.PutRequest.Item)] : r.DeleteRequest?.Key ? [keyOf(r.DeleteRequest.Key)] : []));
    default:
      return [];
  }
}

/** SDK attribute values -> the JSON a stream record carries (bytes as base64). */
export function toStreamJson(item: RawItem): Record<string, StreamAttributeValue> {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, valueJson(v)]));
}

function valueJson(v: AttributeValue): StreamAttributeValue {
  if (v.B !== undefined) return { B: Buffer.from(v.B).toString('base64') };
  if (v.BS !== undefined) return { BS: v.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (v.M !== undefined) return { M: toStreamJson(v.M) };
  if (v.L !== undefined) return { L: v.L.map(valueJson) };
  if (v.NULL !== undefined) return { NULL: v.NULL };
  return v as StreamAttributeValue;
}

/** Attribute order is not meaningful in DynamoDB: compare and store images with sorted keys. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    ) as T;
  }
  return value;
}
