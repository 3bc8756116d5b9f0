// Pure: work on a list, a few items at a time.

/**
 * Runs `work` on every item, at most `limit` at once, in list order of
 * starting; `lane` (0 to limit-1) lets a caller keep a buffer per lane. The
 * first failure rejects (the lanes under way finish their current item).
 */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, lane: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async (_, lane) => {
      while (next < items.length) await work(items[next++], lane);
    }),
  );
}
