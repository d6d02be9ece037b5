/**
 * Runs `step` over every item, at most `limit` at a time, and settles once every step has: a
 * failure is rethrown (the first one) only after the other items were tried, so cleanup that the
 * caller runs next never races a step still in flight, and one failed item never leaves the rest
 * undone (the collector puts back hidden blobs this way).
 */
export async function eachConcurrently<T>(items: readonly T[], limit: number, step: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await step(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
