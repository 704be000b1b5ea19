/**
 * Runs `fn` over `items` with at most `limit` calls in flight, keeping the order of results.
 * Bounded so that a host with many thousands of processes cannot flood libuv's thread pool
 * (which every other collector's file reads share).
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
