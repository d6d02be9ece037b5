/** Counts the commands an AWS SDK v3 client sends (SDK middleware), by command name. */
export interface CallCounter {
  counts(): Record<string, number>;
  /**
   * Items the calls read or wrote, by command name: one per single-item call, every item of a
   * batch (BatchGetItem, BatchWriteItem), twice every item of a transaction (DynamoDB bills a
   * transactional item as two request units). What DynamoDB's request units follow (for items
   * under 1 KB written, 4 KB read), where counts() counts round trips.
   */
  items(): Record<string, number>;
  total(): number;
  /** Every call since the last reset, in order: the command and the keys it names (`GetItem REPO#a BLOB#sha256:…`). */
  sequence(): string[];
  reset(): void;
}

interface ClientWithMiddleware {
  middlewareStack: {
    add(
      mw: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
      options: { step: 'deserialize'; name: string },
    ): void;
  };
}

export function countCalls(client: unknown, name = 'stowageCallCounter'): CallCounter {
  let counts: Record<string, number> = {};
  let items: Record<string, number> = {};
  let sequence: string[] = [];
  (client as ClientWithMiddleware).middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counts[command] = (counts[command] ?? 0) + 1;
      const input = (args as { input?: unknown }).input;
      items[command] = (items[command] ?? 0) + itemsOf(command, input);
      sequence.push(describe(command, input));
      return next(args);
    },
    // The deserialize step sees requests actually sent; a presigned URL, signed locally, is not a call.
    { step: 'deserialize', name },
  );
  return {
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    items: () => ({ ...items }),
    sequence: () => [...sequence],
    reset: () => {
      counts = {};
      items = {};
      sequence = [];
    },
  };
}

/** Items one command touches (see CallCounter.items). */
function itemsOf(command: string, input: unknown): number {
  const requests = (input as { RequestItems?: Record<string, unknown>; TransactItems?: unknown[] } | undefined) ?? {};
  if (command === 'BatchGetItem') return Object.values(requests.RequestItems ?? {}).reduce<number>((n, t) => n + ((t as { Keys?: unknown[] }).Keys?.length ?? 0), 0);
  if (command === 'BatchWriteItem') return Object.values(requests.RequestItems ?? {}).reduce<number>((n, t) => n + ((t as unknown[]).length ?? 0), 0);
  if (command === 'TransactWriteItems' || command === 'TransactGetItems') return 2 * (requests.TransactItems?.length ?? 0);
  return 1;
}

type Attrs = Record<string, { S?: string } | undefined>;
const keyText = (a: Attrs | undefined) => (a ? [a.PK?.S, a.SK?.S].filter((v) => v !== undefined).join(' ') : '');

/** A command and the keys it reads or writes (S3: the object key), shortened digests. */
function describe(command: string, input: unknown): string {
  const i = (input ?? {}) as {
    Key?: Attrs | { S?: string } | string;
    Item?: Attrs;
    RequestItems?: Record<string, { Keys?: Attrs[] } | { PutRequest?: { Item: Attrs }; DeleteRequest?: { Key: Attrs } }[]>;
    TransactItems?: Record<string, { Key?: Attrs; Item?: Attrs }>[];
    ConditionExpression?: string;
  };
  let keys: string[];
  if (typeof i.Key === 'string') keys = [i.Key];
  else if (i.Key || i.Item) keys = [keyText((i.Key ?? i.Item) as Attrs)];
  else if (i.RequestItems)
    keys = Object.values(i.RequestItems).flatMap((t) => (Array.isArray(t) ? t.map((w) => keyText(w.PutRequest?.Item ?? w.DeleteRequest?.Key)) : (t.Keys ?? []).map(keyText)));
  else if (i.TransactItems) keys = i.TransactItems.map((t) => Object.entries(t).map(([op, v]) => `${op} ${keyText(v.Key ?? v.Item)}`)[0] ?? '');
  else keys = [];
  const short = keys.map((k) => k.replace(/([0-9a-f]{8})[0-9a-f]{56}/g, '$1…'));
  return `${command}${i.ConditionExpression ? ' (conditional)' : ''} ${short.join(', ')}`.trim();
}
