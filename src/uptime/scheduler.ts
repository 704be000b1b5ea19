/**
 * Runs the configured uptime checks in the background, off the scrape path:
 * - each check on its own interval, at fixed rate, starting at a random offset within its
 *   first interval so that N checks do not all fire at start-up;
 * - never two runs of one check at once: a run that is due while the previous one is still
 *   running (or still waiting for a slot) is skipped and counted;
 * - at most `maxConcurrency` checks in flight overall; the rest wait in FIFO order;
 * - every run bounded by the check's timeout: its AbortSignal fires at the deadline, and a
 *   prober that ignores the signal is written off as a timeout shortly after.
 * A scrape reads `checks()`, which never waits for anything.
 */
import { performance } from 'node:perf_hooks';
import { checkIdentity } from '../config/identity.js';
import type { CheckConfig } from '../config/schema.js';
import type { Logger } from '../lib/log.js';
import { failedResult } from '../probe/result.js';
import type { ProbeResult } from '../probe/types.js';
import { CheckMetrics } from './check-metrics.js';

/** One run of a check; resolves with the outcome and stops its work when `signal` aborts. */
export type CheckRunner = (signal: AbortSignal) => Promise<ProbeResult>;
/** Prepares a check's runner once per config load (option building is not per run). */
export type RunnerFactory = (check: CheckConfig) => CheckRunner;

export type TimerHandle = unknown;

/** Time and randomness, injectable so tests can drive the scheduler deterministically. */
export interface SchedulerClock {
  /** Monotonic milliseconds, for due times. */
  now(): number;
  /** Unix milliseconds, for the timestamps we export. */
  wallNow(): number;
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /** Uniform in [0, 1). */
  random(): number;
}

/** The real clock; timers are unref'd so they never keep the process alive. */
export const systemClock: SchedulerClock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
  random: Math.random,
};

export interface SchedulerOptions {
  readonly maxConcurrency: number;
  /** Upper bounds of the duration histogram, sorted. */
  readonly buckets: readonly number[];
  readonly runnerFor: RunnerFactory;
  readonly log: Logger;
  readonly clock?: SchedulerClock;
  /** How long past its deadline a run that ignores its abort signal is waited for. */
  readonly abandonAfterMs?: number;
  /** close() waits at most this long for runs in flight. */
  readonly closeTimeoutMs?: number;
}

/** What a scrape sees of one check. */
export interface CheckView {
  readonly protocol: CheckConfig['protocol'];
  readonly target: string;
  /**
   * The entry's name, or "" when it has none. Every series of a family then has the same label
   * names (as client_golang requires of one descriptor), and since Prometheus treats an empty
   * label as an absent one, an unnamed check's series carry no `name` label once stored.
   */
  readonly name: string;
  readonly metrics: CheckMetrics;
}

export interface ApplySummary {
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
}

type RunState = 'idle' | 'queued' | 'running';

interface ScheduledCheck extends CheckView {
  readonly key: string;
  config: CheckConfig;
  fingerprint: string;
  runner: CheckRunner;
  timer: TimerHandle | undefined;
  /** Monotonic ms of the next due run. */
  nextDue: number;
  state: RunState;
  abort: AbortController | undefined;
  removed: boolean;
}

/** Everything else about a check; a reload that changes it swaps the options in place. (Regexes serialise as their source.) */
function checkFingerprint(c: CheckConfig): string {
  return JSON.stringify(c);
}

/** The order client_golang writes series in: label values sorted by label name (name, protocol, target). */
function compareViews(a: CheckView, b: CheckView): number {
  for (const label of ['name', 'protocol', 'target'] as const) {
    if (a[label] !== b[label]) return a[label] < b[label] ? -1 : 1;
  }
  return 0;
}

export class UptimeScheduler {
  private readonly clock: SchedulerClock;
  private readonly abandonAfterMs: number;
  private readonly closeTimeoutMs: number;
  private readonly byKey = new Map<string, ScheduledCheck>();
  private ordered: ScheduledCheck[] = [];
  private readonly waiting: ScheduledCheck[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private active = 0;
  private closed = false;

  constructor(private readonly options: SchedulerOptions) {
    if (!Number.isInteger(options.maxConcurrency) || options.maxConcurrency < 1) throw new Error('max concurrency must be at least 1');
    this.clock = options.clock ?? systemClock;
    this.abandonAfterMs = options.abandonAfterMs ?? 1000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 2000;
  }

  /** The checks in force, in exposition order. Reads only; safe on the scrape path. */
  checks(): readonly CheckView[] {
    return this.ordered;
  }

  /** Runs in flight right now (for tests and diagnostics). */
  get running(): number {
    return this.active;
  }

  /** Runs waiting for a concurrency slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Applies a (new) list of checks. A check with the same protocol, target and name as before
   * keeps its counters, histogram and schedule; if its other options changed they apply from
   * its next run (and a new interval restarts its schedule at a random offset). Removed checks
   * stop (a run in flight is aborted and its result dropped) and leave the output at once.
   * New checks start at a random offset within their interval.
   */
  apply(configs: readonly CheckConfig[]): ApplySummary {
    const summary = { added: 0, changed: 0, unchanged: 0, removed: 0 };
    if (this.closed) return summary;
    const nextKeys = new Set(configs.map(checkIdentity));
    for (const [key, c] of this.byKey) {
      if (nextKeys.has(key)) continue;
      this.remove(c);
      summary.removed++;
    }
    for (const config of configs) {
      const key = checkIdentity(config);
      const existing = this.byKey.get(key);
      if (!existing) {
        this.add(key, config);
        summary.added++;
      } else if (this.update(existing, config)) summary.changed++;
      else summary.unchanged++;
    }
    this.ordered = [...this.byKey.values()].sort(compareViews);
    return summary;
  }

  /** Stops all timers, aborts runs in flight and waits for them (bounded). Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const c of this.byKey.values()) this.remove(c);
      this.byKey.clear();
      this.ordered = [];
    }
    if (this.inFlight.size === 0) return;
    let timer: TimerHandle | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = this.clock.setTimer(resolve, this.closeTimeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), bound]);
    this.clock.clearTimer(timer);
  }

  private add(key: string, config: CheckConfig): void {
    const c: ScheduledCheck = {
      key,
      protocol: config.protocol,
      target: config.target,
      name: config.name ?? '',
      metrics: new CheckMetrics(this.options.buckets, this.clock.wallNow() / 1000),
      config,
      fingerprint: checkFingerprint(config),
      runner: this.options.runnerFor(config),
      timer: undefined,
      nextDue: 0,
      state: 'idle',
      abort: undefined,
      removed: false,
    };
    this.byKey.set(key, c);
    this.startSchedule(c);
  }

  /** Returns whether anything but the identity changed. */
  private update(c: ScheduledCheck, config: CheckConfig): boolean {
    const fingerprint = checkFingerprint(config);
    if (fingerprint === c.fingerprint) return false;
    const intervalChanged = config.interval !== c.config.interval;
    c.config = config;
    c.fingerprint = fingerprint;
    c.runner = this.options.runnerFor(config);
    if (intervalChanged) {
      if (c.timer !== undefined) this.clock.clearTimer(c.timer);
      this.startSchedule(c);
    }
    return true;
  }

  private remove(c: ScheduledCheck): void {
    c.removed = true;
    if (c.timer !== undefined) this.clock.clearTimer(c.timer);
    c.timer = undefined;
    c.abort?.abort();
    const queuedAt = this.waiting.indexOf(c);
    if (queuedAt !== -1) this.waiting.splice(queuedAt, 1);
    this.byKey.delete(c.key);
  }

  private startSchedule(c: ScheduledCheck): void {
    const offset = this.clock.random() * c.config.interval;
    c.nextDue = this.clock.now() + offset;
    c.timer = this.clock.setTimer(() => this.onDue(c), offset);
  }

  private onDue(c: ScheduledCheck): void {
    c.timer = undefined;
    if (this.closed || c.removed) return;
    const interval = c.config.interval;
    const now = this.clock.now();
    // Fixed rate: the next run is one interval after this one was due, not after the timer fired.
    // If the process was stalled for more than an interval, the runs it slept through are skipped.
    const missed = Math.max(0, Math.floor((now - c.nextDue) / interval));
    c.metrics.skipped += missed;
    c.nextDue += (missed + 1) * interval;
    c.timer = this.clock.setTimer(() => this.onDue(c), Math.max(0, c.nextDue - now));
    if (c.state !== 'idle') {
      c.metrics.skipped++;
      this.options.log.debug('check skipped: the previous run is still going', { protocol: c.protocol, target: c.target, name: c.name, state: c.state });
      return;
    }
    if (this.active < this.options.maxConcurrency) this.start(c);
    else {
      c.state = 'queued';
      this.waiting.push(c);
    }
  }

  private start(c: ScheduledCheck): void {
    c.state = 'running';
    this.active++;
    const run = this.run(c).finally(() => {
      this.inFlight.delete(run);
      this.active--;
      if (!c.removed) c.state = 'idle';
      this.startWaiting();
    });
    this.inFlight.add(run);
  }

  private startWaiting(): void {
    while (!this.closed && this.active < this.options.maxConcurrency && this.waiting.length > 0) {
      this.start(this.waiting.shift() as ScheduledCheck);
    }
  }

  private async run(c: ScheduledCheck): Promise<void> {
    const abort = new AbortController();
    c.abort = abort;
    const { timeout } = c.config;
    const deadline = this.clock.setTimer(() => abort.abort(), timeout);
    let abandon: TimerHandle | undefined;
    const abandoned = new Promise<ProbeResult>((resolve) => {
      abandon = this.clock.setTimer(() => {
        this.options.log.warn('check did not stop at its deadline; counting it as a timeout', { protocol: c.protocol, target: c.target, name: c.name, timeout_ms: timeout });
        resolve(failedResult('timeout', (timeout + this.abandonAfterMs) / 1000));
      }, timeout + this.abandonAfterMs);
    });
    const runner = c.runner;
    const attempt = Promise.resolve()
      .then(() => runner(abort.signal))
      .catch((err: unknown): ProbeResult => {
        // The contract says probers resolve; a bug must still count as a failed check, not stop the schedule.
        this.options.log.error('check failed unexpectedly', { protocol: c.protocol, target: c.target, name: c.name, err });
        return failedResult('error', 0);
      });
    try {
      const result = await Promise.race([attempt, abandoned]);
      if (!c.removed && !this.closed) c.metrics.record(result, this.clock.wallNow() / 1000);
    } finally {
      this.clock.clearTimer(deadline);
      this.clock.clearTimer(abandon);
      if (c.abort === abort) c.abort = undefined;
    }
  }
}
