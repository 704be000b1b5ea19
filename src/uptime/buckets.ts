/** Upper bounds of uptime_check_duration_seconds, from --checks.duration-buckets. */

/**
 * client_golang's DefBuckets: they include the usual latency thresholds (0.05 … 10 s). A
 * latency SLI needs a bucket exactly at its threshold (e.g. 0.3), hence the flag.
 */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Each bucket is a series per check: with MAX_CONFIG_ENTRIES.checks, this bounds the uptime series. */
export const MAX_DURATION_BUCKETS = 30;

/** Parses "0.05,0.1,0.25" (seconds); any order, at least one and at most MAX_DURATION_BUCKETS, each finite and above 0. */
export function parseDurationBuckets(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.every((p) => p === '')) throw new Error('needs at least one bucket, e.g. 0.05,0.1,0.25,0.5,1');
  if (parts.length > MAX_DURATION_BUCKETS) throw new Error(`${parts.length} buckets, more than the ${MAX_DURATION_BUCKETS} supported`);
  const bounds = parts.map((p) => {
    const n = p === '' ? NaN : Number(p);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`bucket ${JSON.stringify(p)} is not a number of seconds above 0`);
    return n;
  });
  bounds.sort((a, b) => a - b);
  for (let i = 1; i < bounds.length; i++) {
    if (bounds[i] === bounds[i - 1]) throw new Error(`bucket ${bounds[i]} is given twice`);
  }
  return bounds;
}
