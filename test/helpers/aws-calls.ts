/** Counts the commands an AWS SDK v3 client sends (SDK middleware), by command name. */
export interface CallCounter {
  counts(): Record<string, number>;
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
  (client as ClientWithMiddleware).middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counts[command] = (counts[command] ?? 0) + 1;
      return next(args);
    },
    // The deserialize step sees requests actually sent; a presigned URL, signed locally, is not a call.
    { step: 'deserialize', name },
  );
  return {
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      counts = {};
    },
  };
}
