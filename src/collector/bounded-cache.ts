/**
 * Values derived from a string key that are worth keeping between scrapes (a field name's
 * metric, say), with a bound: when full it is emptied, so keys that keep changing cannot grow it
 * without limit while stable ones are simply computed again.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly limit: number) {}

  /** The value for key, computed (and kept) on first use. */
  get(key: string, compute: (key: string) => V): V {
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached;
    const value = compute(key);
    if (this.entries.size >= this.limit) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }
}
