/**
 * What one scheduled check has measured so far: counters, the duration histogram and the last
 * result. The scheduler writes it when a check completes; a scrape only reads it.
 */
import { FAILURE_REASONS, type FailureReason, type HttpDetails, type ProbeResult } from '../probe/types.js';

export type HttpPhase = keyof HttpDetails['phases'];
export const HTTP_PHASES: readonly HttpPhase[] = ['resolve', 'connect', 'tls', 'processing', 'transfer'];

export interface LastResult {
  readonly success: boolean;
  /** Only for HTTP checks. */
  readonly http?: HttpDetails;
}

export class CheckMetrics {
  checks = 0;
  successes = 0;
  skipped = 0;
  readonly failures: Record<FailureReason, number> = Object.fromEntries(FAILURE_REASONS.map((r) => [r, 0])) as Record<FailureReason, number>;
  /** Per bucket, not cumulative; the last slot is +Inf. Successful checks only. */
  readonly bucketCounts: number[];
  durationSum = 0;
  /** Undefined until the first check completes: before that, up must not claim "down". */
  last: LastResult | undefined;
  /** Unix seconds; undefined until a check succeeds. */
  lastSuccessSeconds: number | undefined;
  /** From the last check that saw a certificate, kept through connection failures so expiry alerts do not flap. */
  certExpirySeconds: number | undefined;

  constructor(
    readonly buckets: readonly number[],
    /** Unix seconds when the check was set up; its counters count from here. */
    readonly createdSeconds: number,
  ) {
    this.bucketCounts = new Array<number>(buckets.length + 1).fill(0);
  }

  /** Adds one completed check; everything changes in one synchronous step, so a scrape never sees success > total. */
  record(result: ProbeResult, nowSeconds: number): void {
    this.checks++;
    if (result.success) {
      this.successes++;
      this.lastSuccessSeconds = nowSeconds;
      this.observe(result.durationSeconds);
    } else {
      this.failures[result.reason ?? 'error']++;
    }
    this.last = { success: result.success, ...(result.http ? { http: result.http } : {}) };
    if (result.http?.certExpiryTimestamp !== undefined) this.certExpirySeconds = result.http.certExpiryTimestamp;
    if (result.tcp?.tls !== undefined) this.certExpirySeconds = result.tcp.tls.earliestExpiry;
  }

  get durationCount(): number {
    return this.successes;
  }

  private observe(measured: number): void {
    // A broken measurement must not poison the sum for the rest of the process' life.
    const seconds = Number.isFinite(measured) && measured > 0 ? measured : 0;
    let i = 0;
    while (i < this.buckets.length && seconds > (this.buckets[i] as number)) i++;
    (this.bucketCounts[i] as number)++;
    this.durationSum += seconds;
  }
}
