/** Test doubles for the uptime scheduler: a manual clock and probers whose runs the test settles. */
import type { CheckConfig } from '../../src/config/schema.js';
import { parseConfig } from '../../src/config/load.js';
import type { ProbeResult } from '../../src/probe/types.js';
import type { CheckRunner, RunnerFactory, SchedulerClock, TimerHandle } from '../../src/uptime/scheduler.js';

/** Lets promise continuations (the scheduler's bookkeeping after a run settles) happen. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** A clock that moves only when told to; `random` returns the queued values in turn (then 0.5). */
export class ManualClock implements SchedulerClock {
  private time = 0;
  private nextId = 1;
  private timers: FakeTimer[] = [];
  readonly randoms: number[] = [];

  constructor(private readonly wallStartMs = 1_700_000_000_000) {}

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return this.wallStartMs + this.time;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  random(): number {
    return this.randoms.shift() ?? 0.5;
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order and settling promises after each. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await flush();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = end;
    await flush();
  }

  /** Moves time forward without firing anything, as a blocked event loop would. */
  stall(ms: number): void {
    this.time += ms;
  }
}

/** Closes `scheduler` while moving `clock` on, since close()'s bound on runs in flight runs on that clock. */
export async function closeMovingClock(scheduler: { close(): Promise<void> }, clock: ManualClock, stepMs = 10): Promise<void> {
  let closed = false;
  const closing = scheduler.close().then(() => {
    closed = true;
  });
  while (!closed) await clock.advance(stepMs);
  await closing;
}

export function result(over: Partial<ProbeResult> = {}): ProbeResult {
  return { success: true, durationSeconds: 0.01, ipProtocol: 4, dnsLookupSeconds: 0, ...over };
}

export interface FakeRun {
  readonly check: CheckConfig;
  readonly signal: AbortSignal;
  readonly startedAt: number;
  settled: boolean;
  resolve(r: ProbeResult): void;
}

/**
 * Runs that stay in flight until the test resolves them. By default a run honours its abort
 * signal (resolving with reason 'timeout'); with `ignoreAbort` it hangs like a broken prober.
 */
export class FakeProbers {
  readonly runs: FakeRun[] = [];
  /** Resolve every run at once with this result, instead of waiting for the test. */
  autoResult: ((check: CheckConfig) => ProbeResult) | undefined;
  ignoreAbort = false;
  private inFlight = new Map<string, number>();
  maxInFlight = 0;
  maxInFlightPerTarget = 0;

  constructor(private readonly clock: { now(): number }) {}

  readonly runnerFor: RunnerFactory = (check): CheckRunner => {
    return (signal) =>
      new Promise<ProbeResult>((resolve) => {
        const key = `${check.protocol} ${check.target} ${check.name ?? ''}`;
        const count = (this.inFlight.get(key) ?? 0) + 1;
        this.inFlight.set(key, count);
        this.maxInFlightPerTarget = Math.max(this.maxInFlightPerTarget, count);
        this.maxInFlight = Math.max(this.maxInFlight, this.total());
        const run: FakeRun = {
          check,
          signal,
          startedAt: this.clock.now(),
          settled: false,
          resolve: (r) => {
            if (run.settled) return;
            run.settled = true;
            this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
            resolve(r);
          },
        };
        this.runs.push(run);
        if (!this.ignoreAbort) {
          signal.addEventListener('abort', () => run.resolve(result({ success: false, reason: 'timeout', durationSeconds: check.timeout / 1000 })), { once: true });
        }
        if (this.autoResult) run.resolve(this.autoResult(check));
      });
  };

  pending(): FakeRun[] {
    return this.runs.filter((r) => !r.settled);
  }

  runsOf(target: string): FakeRun[] {
    return this.runs.filter((r) => r.check.target === target);
  }

  private total(): number {
    let n = 0;
    for (const v of this.inFlight.values()) n += v;
    return n;
  }
}

/** The `checks:` of a config written in YAML, validated as the exporter does. */
export function checksFrom(yaml: string): CheckConfig[] {
  return parseConfig(yaml, 'test.yml').checks;
}
