/**
 * statfs(2) off the event loop and off libuv's shared thread pool, safe against mounts that
 * never answer (node_exporter's stat workers and stuck-mount watchdog, without its first-scrape
 * hang, NE#3058).
 *
 * Each call runs as statfsSync in a worker thread, so a hung syscall blocks that one thread
 * only. A call still running after the mount timeout makes its path "stuck": the path is not
 * asked again until that call returns, and its worker is replaced so other mounts are still
 * served. Callers never wait longer than the budget they pass, stuck or not.
 */
import { Worker, isMainThread } from 'node:worker_threads';
import type { Logger } from '../log.js';
import { goErrnoText } from './go-errno.js';
import type { FsStats, StatfsReply, StatfsRequest } from './statfs-worker.js';

export type { FsStats } from './statfs-worker.js';

export type StatfsOutcome =
  | { readonly kind: 'ok'; readonly stats: FsStats }
  /** statfs failed; `error` is Go's text for the errno ("permission denied"). */
  | { readonly kind: 'error'; readonly error: string }
  /** No answer within the caller's budget, or the path is stuck. */
  | { readonly kind: 'timeout' };

const TIMEOUT: StatfsOutcome = { kind: 'timeout' };

/**
 * Stuck workers kept at most, beyond the healthy ones. Each stuck mount holds exactly one (it is
 * not asked again), and each costs a thread and about 8 MB; past this many, stuck workers are no
 * longer replaced and mounts not yet served report "mountpoint timeout" until one recovers.
 */
export const MAX_STUCK_WORKERS = 8;

/**
 * Calls queued this long while every worker is busy start one more worker (up to the size);
 * one worker serves a whole scrape in about a millisecond unless a mount is slow.
 */
const GROW_AFTER_MS = 50;

const WARM_WORKERS = 1;

const WORKER_URL = new URL('./statfs-worker.js', import.meta.url);

/** Heap limits for a worker whose only job is one syscall per message. */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 };

export interface StatfsPoolOptions {
  /** Healthy workers at most (node_exporter's --collector.filesystem.stat-workers). */
  readonly workers: number;
  /** A call running longer than this makes its path stuck. */
  readonly mountTimeoutMs: number;
  readonly log: Logger;
  readonly maxStuckWorkers?: number;
  /** The worker script (statfs-worker.ts's protocol); tests substitute one that can be made to hang. */
  readonly workerUrl?: URL;
}

interface Call {
  readonly id: number;
  readonly path: string;
  readonly done: Promise<StatfsOutcome>;
  readonly settle: (outcome: StatfsOutcome) => void;
  readonly fail: (err: Error) => void;
  startedAt: number;
  stuck: boolean;
  timer?: NodeJS.Timeout;
}

export class StatfsPool {
  private readonly idle: Worker[] = [];
  private readonly running = new Map<Worker, Call>();
  private readonly queue: Call[] = [];
  /** Queued or running calls by path: a path is never asked twice at once. */
  private readonly calls = new Map<string, Call>();
  /** Workers that reported themselves loaded: start-up (50 to 300 ms) is not slowness. */
  private readonly ready = new WeakSet<Worker>();
  private stuckWorkers = 0;
  private nextId = 1;
  private growTimer: NodeJS.Timeout | undefined;
  private exitHooked = false;
  private readonly maxStuckWorkers: number;

  constructor(private readonly options: StatfsPoolOptions) {
    if (!(options.workers >= 1)) throw new Error(`statfs workers must be at least 1, got ${options.workers}`);
    this.maxStuckWorkers = options.maxStuckWorkers ?? MAX_STUCK_WORKERS;
  }

  /**
   * statfs of each path, each answered within `withinMs`: 'timeout' for a path still running
   * then, and at once for a stuck path. Rejects only if a worker thread itself fails.
   */
  async statfsAll(paths: Iterable<string>, withinMs: number): Promise<Map<string, StatfsOutcome>> {
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<StatfsOutcome>((resolve) => {
      timer = setTimeout(() => resolve(TIMEOUT), withinMs);
    });
    try {
      const outcomes = await Promise.all(
        [...new Set(paths)].map(async (path): Promise<[string, StatfsOutcome]> => {
          const call = this.callFor(path);
          return [path, call.stuck ? TIMEOUT : await Promise.race([call.done, budget])];
        }),
      );
      return new Map(outcomes);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts two workers now (one if the pool has one), so that the first scrape does not wait
   * for start-up, and one mount that hangs at once does not hold up the others.
   */
  warmUp(): void {
    while (this.total < Math.min(WARM_WORKERS, this.options.workers)) this.idle.push(this.spawn());
  }

  /** True while an earlier statfs of `path` has run past the mount timeout and not returned. */
  isStuck(path: string): boolean {
    return this.calls.get(path)?.stuck ?? false;
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

  private callFor(path: string): Call {
    const existing = this.calls.get(path);
    if (existing) return existing;
    let settle!: (outcome: StatfsOutcome) => void;
    let fail!: (err: Error) => void;
    const done = new Promise<StatfsOutcome>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
    // A call nobody waits for any more may still fail; that must not be an unhandled rejection.
    done.catch(() => undefined);
    const call: Call = { id: this.nextId++, path, done, settle, fail, startedAt: 0, stuck: false };
    this.calls.set(path, call);
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
      this.start(worker, this.queue.shift() as Call);
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
    const worker = new Worker(this.options.workerUrl ?? WORKER_URL, { resourceLimits: WORKER_LIMITS, execArgv: [] });
    worker.on('message', (reply: StatfsReply) => this.onReply(worker, reply));
    worker.on('error', (err) => this.onWorkerLost(worker, err));
    worker.on('exit', (code) => this.onWorkerLost(worker, new Error(`statfs worker exited with code ${code}`)));
    // Idle or stuck workers must not keep the process alive. After the listeners: adding a
    // 'message' listener refs the worker again.
    worker.unref();
    return worker;
  }

  private start(worker: Worker, call: Call): void {
    this.running.set(worker, call);
    const request: StatfsRequest = { id: call.id, path: call.path };
    worker.postMessage(request);
    // The mount timeout counts from when the worker can run the call, not from its start-up.
    if (this.ready.has(worker)) this.watch(worker, call);
  }

  private watch(worker: Worker, call: Call): void {
    call.startedAt = Date.now();
    call.timer = setTimeout(() => this.markStuck(worker, call), this.options.mountTimeoutMs).unref();
  }

  private markStuck(worker: Worker, call: Call): void {
    if (this.running.get(worker) !== call) return;
    call.stuck = true;
    this.stuckWorkers++;
    this.options.log.warn('statfs did not return within the mount timeout; reporting the mount as stuck until it does', {
      path: call.path,
      mount_timeout_seconds: this.options.mountTimeoutMs / 1000,
    });
    if (this.stuckWorkers >= this.maxStuckWorkers) {
      this.options.log.warn('too many statfs calls are hung; hung workers are no longer replaced', { stuck: this.stuckWorkers });
    }
    this.updateExitHook();
    this.pump();
  }

  private onReply(worker: Worker, reply: StatfsReply): void {
    if ('ready' in reply) {
      this.ready.add(worker);
      const waiting = this.running.get(worker);
      if (waiting) this.watch(worker, waiting);
      return;
    }
    const call = this.running.get(worker);
    if (!call || call.id !== reply.id) return;
    this.finish(worker, call);
    if ('stats' in reply) call.settle({ kind: 'ok', stats: reply.stats });
    else call.settle({ kind: 'error', error: goErrnoText(reply.error.code, reply.error.errno, reply.error.message) });
    // A recovered worker rejoins the pool unless a replacement has taken its place.
    if (this.healthy < this.options.workers) this.idle.push(worker);
    else void worker.terminate();
    this.pump();
  }

  /** Forgets a call that has returned (or whose worker died). */
  private finish(worker: Worker, call: Call): void {
    this.running.delete(worker);
    this.calls.delete(call.path);
    clearTimeout(call.timer);
    if (call.stuck) {
      this.stuckWorkers--;
      this.options.log.info('statfs returned again; the mount has recovered, monitoring resumes', {
        path: call.path,
        hung_seconds: (Date.now() - call.startedAt) / 1000,
      });
      this.updateExitHook();
    }
  }

  private onWorkerLost(worker: Worker, err: Error): void {
    const idleAt = this.idle.indexOf(worker);
    if (idleAt !== -1) this.idle.splice(idleAt, 1);
    const call = this.running.get(worker);
    if (!call) return;
    this.finish(worker, call);
    call.fail(new Error(`statfs worker failed: ${err.message}`, { cause: err }));
    if (!this.ready.has(worker)) {
      // It never started: the next worker would fail the same way, so fail what waits too.
      for (const queued of this.queue.splice(0)) {
        this.calls.delete(queued.path);
        queued.fail(new Error(`statfs worker failed: ${err.message}`, { cause: err }));
      }
      return;
    }
    this.pump();
  }

  /**
   * Node joins every worker thread before the process ends, and a thread blocked in statfs(2)
   * never joins, so an exiting process would hang. While workers are stuck, end by signal.
   */
  private readonly exitWithoutJoining = (): void => {
    if (this.stuckWorkers === 0) return;
    this.options.log.warn('exiting while statfs calls are hung; ending the process by signal', { stuck: this.stuckWorkers });
    process.removeAllListeners('SIGTERM');
    process.kill(process.pid, 'SIGTERM');
    process.kill(process.pid, 'SIGKILL');
  };

  private updateExitHook(): void {
    if (!isMainThread) return; // process.kill there would end the whole process, not a thread.
    const want = this.stuckWorkers > 0;
    if (want === this.exitHooked) return;
    this.exitHooked = want;
    if (want) process.on('exit', this.exitWithoutJoining);
    else process.off('exit', this.exitWithoutJoining);
  }
}
