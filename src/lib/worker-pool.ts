/**
 * Blocking file system calls in worker threads, safe against calls that never return (an NFS
 * server gone away, a stuck FUSE daemon): such a call blocks its own worker thread only, never
 * the event loop and never libuv's thread pool, which every other file read shares.
 *
 * Calls are keyed (a mount point, a textfile directory). A call still running after the stuck
 * timeout makes its key "stuck": the key is not asked again until that call returns, and its
 * worker is replaced so other keys are still served. Callers never wait longer than the budget
 * they give, stuck or not. StatfsPool (statfs) and the textfile collector run on this.
 *
 * Protocol with the worker script: it posts `{ ready: true }` once loaded, then answers each
 * `{ id, ...request }` with `{ id, ...reply }`.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from './log.js';
import { EndBySignalWhileStuck } from './process-exit.js';

/** What a pool logs; `timeoutField` names the stuck timeout in the "stuck" line. */
export interface WorkerPoolMessages {
  readonly stuck: string;
  readonly recovered: string;
  readonly tooManyStuck: string;
  readonly exitingWhileStuck: string;
  readonly timeoutField: string;
}

export interface WorkerPoolOptions {
  /** What the workers do, for errors ("statfs worker failed"). */
  readonly name: string;
  /** Healthy workers at most. */
  readonly workers: number;
  /** A call running longer than this makes its key stuck. */
  readonly stuckAfterMs: number;
  readonly log: Logger;
  readonly workerUrl: URL;
  readonly messages: WorkerPoolMessages;
  readonly maxStuckWorkers?: number;
  readonly resourceLimits?: ResourceLimits;
}

/**
 * Stuck workers kept at most, beyond the healthy ones. Each stuck key holds exactly one (it is
 * not asked again), and each costs a thread and about 8 MB; past this many, stuck workers are no
 * longer replaced and keys not yet served time out until one recovers.
 */
const MAX_STUCK_WORKERS = 8;

/**
 * Calls queued this long while every worker is busy start one more worker (up to the size);
 * one worker serves a whole scrape in about a millisecond unless a call is slow.
 */
const GROW_AFTER_MS = 50;

const WARM_WORKERS = 1;

/** Heap limits for a worker whose only job is a few syscalls per message. */
const SMALL_WORKER_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 };

interface Call<Rep> {
  readonly id: number;
  readonly key: string;
  readonly request: object;
  readonly done: Promise<Rep>;
  readonly settle: (reply: Rep) => void;
  readonly fail: (err: Error) => void;
  startedAt: number;
  stuck: boolean;
  timer?: NodeJS.Timeout;
}

/** Answers within a budget: a number of milliseconds, or until a signal aborts. */
export type Budget = number | AbortSignal;

function budgetExpiry(budget: Budget): { expired: Promise<void>; dispose: () => void } {
  if (typeof budget === 'number') {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, budget);
    });
    return { expired, dispose: () => clearTimeout(timer) };
  }
  let onAbort: (() => void) | undefined;
  const expired = new Promise<void>((resolve) => {
    if (budget.aborted) return resolve();
    onAbort = () => resolve();
    budget.addEventListener('abort', onAbort, { once: true });
  });
  return { expired, dispose: () => onAbort && budget.removeEventListener('abort', onAbort) };
}

export class WorkerCallPool<Req extends object, Rep extends { readonly id: number }> {
  private readonly idle: Worker[] = [];
  private readonly running = new Map<Worker, Call<Rep>>();
  private readonly queue: Call<Rep>[] = [];
  /** Queued or running calls by key: a key is never asked twice at once. */
  private readonly calls = new Map<string, Call<Rep>>();
  /** Workers that reported themselves loaded: start-up (50 to 300 ms) is not slowness. */
  private readonly ready = new WeakSet<Worker>();
  private stuckWorkers = 0;
  private nextId = 1;
  private growTimer: NodeJS.Timeout | undefined;
  private readonly exitHook: EndBySignalWhileStuck;
  private readonly maxStuckWorkers: number;

  constructor(private readonly options: WorkerPoolOptions) {
    if (!(options.workers >= 1)) throw new Error(`${options.name} workers must be at least 1, got ${options.workers}`);
    this.maxStuckWorkers = options.maxStuckWorkers ?? MAX_STUCK_WORKERS;
    // Node joins every worker thread before the process ends, and one blocked in a system call never joins.
    this.exitHook = new EndBySignalWhileStuck(options.log, options.messages.exitingWhileStuck);
  }

  /**
   * Each request's reply, or undefined for a key still running when the budget ends, and at
   * once for a stuck key. Rejects only if a worker thread itself fails.
   */
  async callAll(requests: Iterable<readonly [string, Req]>, budget: Budget): Promise<Map<string, Rep | undefined>> {
    const { expired, dispose } = budgetExpiry(budget);
    const timedOut = expired.then(() => undefined);
    try {
      const unique = new Map(requests);
      const replies = await Promise.all(
        [...unique].map(async ([key, request]): Promise<[string, Rep | undefined]> => {
          const call = this.callFor(key, request);
          return [key, call.stuck ? undefined : await Promise.race([call.done, timedOut])];
        }),
      );
      return new Map(replies);
    } finally {
      dispose();
    }
  }

  /** Starts a worker now, so that the first scrape does not wait for its start-up. */
  warmUp(): void {
    while (this.total < Math.min(WARM_WORKERS, this.options.workers)) this.idle.push(this.spawn());
  }

  /** True while an earlier call for `key` has run past the stuck timeout and not returned. */
  isStuck(key: string): boolean {
    return this.calls.get(key)?.stuck ?? false;
  }

  /** How long the stuck call for `key` has been running, in seconds (undefined when not stuck). */
  stuckSeconds(key: string): number | undefined {
    const call = this.calls.get(key);
    return call?.stuck ? (Date.now() - call.startedAt) / 1000 : undefined;
  }

  /** Worker threads by state, for tests and debugging. */
  get counts(): { idle: number; running: number; stuck: number; queued: number } {
    return { idle: this.idle.length, running: this.running.size, stuck: this.stuckWorkers, queued: this.queue.length };
  }

  /** Stops idle workers; calls still running are abandoned (their threads end when they return). */
  close(): void {
    clearTimeout(this.growTimer);
    for (const w of this.idle.splice(0)) void w.terminate();
    for (const w of this.running.keys()) void w.terminate();
  }

  private callFor(key: string, request: Req): Call<Rep> {
    const existing = this.calls.get(key);
    if (existing) return existing;
    let settle!: (reply: Rep) => void;
    let fail!: (err: Error) => void;
    const done = new Promise<Rep>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
    // A call nobody waits for any more may still fail; that must not be an unhandled rejection.
    done.catch(() => undefined);
    const call: Call<Rep> = { id: this.nextId++, key, request, done, settle, fail, startedAt: 0, stuck: false };
    this.calls.set(key, call);
    this.queue.push(call);
    this.pump();
    return call;
  }

  private get healthy(): number {
    return this.idle.length + this.running.size - this.stuckWorkers;
  }

  private get total(): number {
    return this.idle.length + this.running.size;
  }

  /** Hands queued calls to idle workers; starts a worker at once only if none is healthy. */
  private pump(): void {
    while (this.queue.length > 0) {
      const canStart = this.healthy === 0 && this.total < this.options.workers + this.maxStuckWorkers;
      const worker = this.idle.pop() ?? (canStart ? this.spawn() : undefined);
      if (!worker) break;
      this.start(worker, this.queue.shift() as Call<Rep>);
    }
    if (this.queue.length > 0 && !this.growTimer) {
      this.growTimer = setTimeout(() => this.grow(), GROW_AFTER_MS).unref();
    }
  }

  /** Calls are waiting behind slow ones: one more worker, if the pool is not full. */
  private grow(): void {
    this.growTimer = undefined;
    if (this.queue.length === 0 || this.idle.length > 0) return;
    if (this.hasSlowCall() && this.healthy < this.options.workers && this.total < this.options.workers + this.maxStuckWorkers) {
      this.idle.push(this.spawn());
    }
    this.pump();
  }

  /** A running call that has had a loaded worker for GROW_AFTER_MS without an answer. */
  private hasSlowCall(): boolean {
    const now = Date.now();
    for (const [worker, call] of this.running) {
      if (this.ready.has(worker) && now - call.startedAt >= GROW_AFTER_MS) return true;
    }
    return false;
  }

  private spawn(): Worker {
    // No inherited execArgv: flags meant for the main script (--input-type, --require) can stop a worker from loading.
    const worker = new Worker(this.options.workerUrl, {
      resourceLimits: this.options.resourceLimits ?? SMALL_WORKER_LIMITS,
      execArgv: [],
    });
    worker.on('message', (reply: Rep | { ready: true }) => this.onReply(worker, reply));
    worker.on('error', (err) => this.onWorkerLost(worker, err));
    worker.on('exit', (code) => this.onWorkerLost(worker, new Error(`${this.options.name} worker exited with code ${code}`)));
    // Idle or stuck workers must not keep the process alive. After the listeners: adding a
    // 'message' listener refs the worker again.
    worker.unref();
    return worker;
  }

  private start(worker: Worker, call: Call<Rep>): void {
    this.running.set(worker, call);
    worker.postMessage({ ...call.request, id: call.id });
    // The stuck timeout counts from when the worker can run the call, not from its start-up.
    if (this.ready.has(worker)) this.watch(worker, call);
  }

  private watch(worker: Worker, call: Call<Rep>): void {
    call.startedAt = Date.now();
    call.timer = setTimeout(() => this.markStuck(worker, call), this.options.stuckAfterMs).unref();
  }

  private markStuck(worker: Worker, call: Call<Rep>): void {
    if (this.running.get(worker) !== call) return;
    call.stuck = true;
    this.stuckWorkers++;
    const { messages } = this.options;
    this.options.log.warn(messages.stuck, { path: call.key, [messages.timeoutField]: this.options.stuckAfterMs / 1000 });
    if (this.stuckWorkers >= this.maxStuckWorkers) this.options.log.warn(messages.tooManyStuck, { stuck: this.stuckWorkers });
    this.exitHook.set(this.stuckWorkers);
    this.pump();
  }

  private onReply(worker: Worker, reply: Rep | { ready: true }): void {
    if ('ready' in reply) {
      this.ready.add(worker);
      const waiting = this.running.get(worker);
      if (waiting) this.watch(worker, waiting);
      return;
    }
    const call = this.running.get(worker);
    if (!call || call.id !== reply.id) return;
    this.finish(worker, call);
    call.settle(reply);
    // A recovered worker rejoins the pool unless a replacement has taken its place.
    if (this.healthy < this.options.workers) this.idle.push(worker);
    else void worker.terminate();
    this.pump();
  }

  /** Forgets a call that has returned (or whose worker died). */
  private finish(worker: Worker, call: Call<Rep>): void {
    this.running.delete(worker);
    this.calls.delete(call.key);
    clearTimeout(call.timer);
    if (call.stuck) {
      this.stuckWorkers--;
      this.options.log.info(this.options.messages.recovered, { path: call.key, hung_seconds: (Date.now() - call.startedAt) / 1000 });
      this.exitHook.set(this.stuckWorkers);
    }
  }

  private onWorkerLost(worker: Worker, err: Error): void {
    const idleAt = this.idle.indexOf(worker);
    if (idleAt !== -1) this.idle.splice(idleAt, 1);
    const call = this.running.get(worker);
    if (!call) return;
    this.finish(worker, call);
    const failure = (): Error => new Error(`${this.options.name} worker failed: ${err.message}`, { cause: err });
    call.fail(failure());
    if (!this.ready.has(worker)) {
      // It never started: the next worker would fail the same way, so fail what waits too.
      for (const queued of this.queue.splice(0)) {
        this.calls.delete(queued.key);
        queued.fail(failure());
      }
      return;
    }
    this.pump();
  }
}
