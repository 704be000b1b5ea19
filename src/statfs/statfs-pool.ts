/**
 * statfs(2) off the event loop and off libuv's shared thread pool, safe against mounts that
 * never answer (node_exporter's stat workers and stuck-mount watchdog, without its first-scrape
 * hang, NE#3058).
 *
 * Each call runs as statfsSync in a worker thread of a WorkerCallPool (worker-pool.ts), so a
 * hung syscall blocks that one thread only. A call still running after the mount timeout makes
 * its path "stuck": the path is not asked again until that call returns, and its worker is
 * replaced so other mounts are still served. Callers never wait longer than the budget they
 * pass, stuck or not.
 */
import type { Logger } from '../lib/log.js';
import { WorkerCallPool } from '../lib/worker-pool.js';
import { goErrnoText } from '../gocompat/errno.js';
import type { FsStats, StatfsReply, StatfsRequest } from './statfs-worker.js';

export type { FsStats } from './statfs-worker.js';

export type StatfsOutcome =
  | { readonly kind: 'ok'; readonly stats: FsStats }
  /** statfs failed; `error` is Go's text for the errno ("permission denied"). */
  | { readonly kind: 'error'; readonly error: string }
  /** No answer within the caller's budget, or the path is stuck. */
  | { readonly kind: 'timeout' };

const TIMEOUT: StatfsOutcome = { kind: 'timeout' };

const WORKER_URL = new URL('./statfs-worker.js', import.meta.url);

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

type Reply = Exclude<StatfsReply, { ready: true }>;

export class StatfsPool {
  private readonly pool: WorkerCallPool<Omit<StatfsRequest, 'id'>, Reply>;

  constructor(options: StatfsPoolOptions) {
    this.pool = new WorkerCallPool({
      name: 'statfs',
      workers: options.workers,
      stuckAfterMs: options.mountTimeoutMs,
      log: options.log,
      workerUrl: options.workerUrl ?? WORKER_URL,
      maxStuckWorkers: options.maxStuckWorkers,
      messages: {
        stuck: 'statfs did not return within the mount timeout; reporting the mount as stuck until it does',
        recovered: 'statfs returned again; the mount has recovered, monitoring resumes',
        tooManyStuck: 'too many statfs calls are hung; hung workers are no longer replaced',
        exitingWhileStuck: 'exiting while statfs calls are hung; ending the process by signal',
        timeoutField: 'mount_timeout_seconds',
      },
    });
  }

  /**
   * statfs of each path, each answered within `withinMs`: 'timeout' for a path still running
   * then, and at once for a stuck path. Rejects only if a worker thread itself fails.
   */
  async statfsAll(paths: Iterable<string>, withinMs: number): Promise<Map<string, StatfsOutcome>> {
    const replies = await this.pool.callAll(
      [...paths].map((path) => [path, { path }] as const),
      withinMs,
    );
    return new Map([...replies].map(([path, reply]) => [path, outcomeOf(reply)]));
  }

  /** Starts a worker now, so that the first scrape does not wait for its start-up. */
  warmUp(): void {
    this.pool.warmUp();
  }

  /** True while an earlier statfs of `path` has run past the mount timeout and not returned. */
  isStuck(path: string): boolean {
    return this.pool.isStuck(path);
  }

  /** Worker threads by state, for tests and debugging. */
  get counts(): { idle: number; running: number; stuck: number; queued: number } {
    return this.pool.counts;
  }

  /** Stops idle workers; calls still running are abandoned (their threads end when they return). */
  close(): void {
    this.pool.close();
  }
}

function outcomeOf(reply: Reply | undefined): StatfsOutcome {
  if (reply === undefined) return TIMEOUT;
  if ('stats' in reply) return { kind: 'ok', stats: reply.stats };
  return { kind: 'error', error: goErrnoText(reply.error.code, reply.error.errno, reply.error.message) };
}
