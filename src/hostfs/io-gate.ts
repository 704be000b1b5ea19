/**
 * A gate in front of libuv's thread pool for file operations that can block (a read from a
 * hung NFS or FUSE mount, a /proc/<pid> file of a process stuck in D state). The pool has a
 * few threads shared by every file read and DNS lookup, and a blocked call holds its thread
 * until the kernel lets go, possibly for good. So:
 * - At most `slots` gated operations run at once (the pool's size less one), so a thread is
 *   always left for everything else, DNS lookups of probes included.
 * - An operation running longer than `stuckAfterMs` (or the timeout it was run with: a mount's
 *   statfs has the mount timeout) is stuck: its key (the file) is refused at once until it
 *   returns, so one hung file never takes a second thread.
 * - When every slot is stuck the gate is saturated: operations are refused at once (instead of
 *   queueing until their deadline), and status() says so for /-/healthy.
 * - A caller waits at most until its signal aborts (or `maxWaitMs` without a signal); the
 *   operation itself cannot be cancelled and keeps its slot until it returns.
 */

export interface IoGateOptions {
  readonly slots: number;
  readonly stuckAfterMs: number;
  /** Longest wait for callers that give no abort signal. */
  readonly maxWaitMs: number;
  readonly now?: () => number;
}

export interface StuckOperation {
  readonly key: string;
  readonly seconds: number;
}

export interface IoGateStatus {
  readonly slots: number;
  readonly running: number;
  readonly queued: number;
  /** Running operations past the stuck timeout, oldest first. */
  readonly stuck: readonly StuckOperation[];
  /** Every slot is held by a stuck operation: new operations are refused. */
  readonly saturated: boolean;
}

/** An operation refused by the gate: EIOSTUCK (its file is stuck) or EIOSATURATED (every slot is). */
export class IoGateError extends Error {
  override readonly name = 'IoGateError';
  constructor(
    readonly code: 'EIOSTUCK' | 'EIOSATURATED',
    message: string,
  ) {
    super(message);
  }
}

interface Running {
  readonly key: string;
  readonly startedMs: number;
  /** When it counts as stuck: startedMs plus its stuck timeout. */
  readonly stuckAtMs: number;
}

interface Waiter {
  readonly begin: () => void;
  readonly refuse: (err: Error) => void;
  cancel?: () => void;
}

/** libuv's pool size: UV_THREADPOOL_SIZE as libuv reads it (1 to 1024), else 4. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number.parseInt(env['UV_THREADPOOL_SIZE'] ?? '', 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 1024) : 4;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

export class IoGate {
  readonly slots: number;
  private readonly running = new Set<Running>();
  private readonly queue: Waiter[] = [];
  /** One abort listener per signal, however many operations wait on it. */
  private readonly cancels = new WeakMap<AbortSignal, Set<() => void>>();
  private readonly now: () => number;
  private saturationTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: IoGateOptions) {
    if (!(options.slots >= 1)) throw new Error(`the I/O gate needs at least 1 slot, got ${options.slots}`);
    this.slots = options.slots;
    this.now = options.now ?? Date.now;
  }

  /**
   * Runs `op` (a file operation on `key`) when a slot is free. Rejects at once when an earlier
   * operation on `key` is stuck, or every slot is; rejects with the signal's reason when it
   * aborts first (the operation, if started, runs on and keeps its slot until it returns).
   * `stuckAfterMs` replaces the gate's stuck timeout for this operation.
   */
  run<T>(key: string, signal: AbortSignal | undefined, op: () => Promise<T>, stuckAfterMs = this.options.stuckAfterMs): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const refusal = this.refusal(key);
    if (refusal) return Promise.reject(refusal);
    const bound = signal ?? AbortSignal.timeout(this.options.maxWaitMs);
    if (this.running.size < this.slots) return this.start(key, bound, op, stuckAfterMs);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        begin: () => {
          waiter.cancel?.();
          this.start(key, bound, op, stuckAfterMs).then(resolve, reject);
        },
        refuse: (err) => {
          waiter.cancel?.();
          reject(err);
        },
      };
      waiter.cancel = this.onAbort(bound, () => {
        const at = this.queue.indexOf(waiter);
        if (at !== -1) this.queue.splice(at, 1);
        reject(bound.reason as Error);
      });
      this.queue.push(waiter);
      this.armSaturationCheck();
    });
  }

  status(): IoGateStatus {
    const now = this.now();
    const stuck = [...this.running]
      .filter((r) => now >= r.stuckAtMs)
      .sort((a, b) => a.startedMs - b.startedMs)
      .map((r) => ({ key: r.key, seconds: (now - r.startedMs) / 1000 }));
    return { slots: this.slots, running: this.running.size, queued: this.queue.length, stuck, saturated: stuck.length >= this.slots };
  }

  /** Why an operation on `key` is refused now, if it is. */
  private refusal(key: string): IoGateError | undefined {
    const now = this.now();
    let stuck = 0;
    for (const r of this.running) {
      if (now < r.stuckAtMs) continue;
      stuck++;
      if (r.key === key) {
        return new IoGateError('EIOSTUCK', `an earlier read of ${key} has not returned for ${seconds(now - r.startedMs)}; not reading it again until it does`);
      }
    }
    return stuck >= this.slots ? this.saturatedError() : undefined;
  }

  /** Why operations cannot complete now, if they cannot (every slot stuck). */
  problem(): string | undefined {
    const { stuck, saturated } = this.status();
    if (!saturated) return undefined;
    const oldest = stuck[0] as StuckOperation;
    // Every running operation is stuck; the shortest stuck timeout among them is the true bound.
    const stuckAfterMs = Math.min(...[...this.running].map((r) => r.stuckAtMs - r.startedMs));
    return `I/O thread pool saturated: all ${this.slots} slots hold file reads that have not returned for over ${seconds(stuckAfterMs)} (oldest: ${oldest.key}, ${seconds(oldest.seconds * 1000)})`;
  }

  private saturatedError(): IoGateError {
    return new IoGateError('EIOSATURATED', this.problem() ?? 'I/O thread pool saturated');
  }

  private start<T>(key: string, signal: AbortSignal, op: () => Promise<T>, stuckAfterMs: number): Promise<T> {
    const startedMs = this.now();
    const entry: Running = { key, startedMs, stuckAtMs: startedMs + stuckAfterMs };
    this.running.add(entry);
    let result: Promise<T>;
    try {
      result = op();
    } catch (err) {
      result = Promise.reject(err as Error);
    }
    const release = (): void => {
      this.running.delete(entry);
      this.pump();
    };
    result.then(release, release);
    return new Promise<T>((resolve, reject) => {
      const cancel = this.onAbort(signal, () => reject(signal.reason as Error));
      result.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (err: unknown) => {
          cancel();
          reject(err as Error);
        },
      );
    });
  }

  /** Starts waiting operations in free slots. */
  private pump(): void {
    while (this.queue.length > 0 && this.running.size < this.slots) (this.queue.shift() as Waiter).begin();
  }

  /**
   * Waiting operations would otherwise wait for their deadline once every running one is
   * stuck: check when the last running operation becomes stuck, and refuse them then.
   */
  private armSaturationCheck(): void {
    if (this.saturationTimer || this.queue.length === 0 || this.running.size < this.slots) return;
    const lastStuckAt = Math.max(...[...this.running].map((r) => r.stuckAtMs));
    const inMs = Math.max(0, lastStuckAt - this.now());
    this.saturationTimer = setTimeout(() => {
      this.saturationTimer = undefined;
      if (this.status().saturated) {
        const err = this.saturatedError();
        for (const waiter of this.queue.splice(0)) waiter.refuse(err);
      }
      this.armSaturationCheck();
    }, inMs + 1).unref();
  }

  /** Calls `cancel` if `signal` aborts; returns a function that forgets it. */
  private onAbort(signal: AbortSignal, cancel: () => void): () => void {
    let callbacks = this.cancels.get(signal);
    if (!callbacks) {
      const set = new Set<() => void>();
      callbacks = set;
      this.cancels.set(signal, set);
      signal.addEventListener(
        'abort',
        () => {
          for (const c of [...set]) c();
          set.clear();
        },
        { once: true },
      );
    }
    const own = callbacks;
    own.add(cancel);
    return () => own.delete(cancel);
  }
}
