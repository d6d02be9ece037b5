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
  (client as ClientWithMiddleware).middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counts[command] = (counts[command] ?? 0) + 1;
      items[command] = (items[command] ?? 0) + itemsOf(command, (args as { input?: unknown }).input);
      return next(args);
    },
    // The deserialize step sees requests actually sent; a presigned URL, signed locally, is not a call.
    { step: 'deserialize', name },
  );
  return {
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    items: () => ({ ...items }),
    reset: () => {
      counts = {};
      items = {};
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
