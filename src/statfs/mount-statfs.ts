/**
 * statfs(2) of mount points, safe against mounts that never answer (node_exporter's stat
 * workers and stuck-mount watchdog, without its first-scrape hang, NE#3058).
 *
 * Each call is fs.promises.statfs, on libuv's thread pool, behind the host's I/O gate
 * (hostfs/io-gate.ts). A statfs that hangs (an NFS server gone, a stuck FUSE daemon) holds its
 * pool thread until the kernel lets go, so:
 * - a mount is never asked twice at once: a scrape meeting a call still running waits for it;
 * - a call running past the mount timeout makes its mount stuck: it is answered at once as a
 *   timeout and not asked again until that call returns (logged both ways); the gate refuses
 *   the key on its own too, as the call is run with the mount timeout as its stuck timeout;
 * - at most `concurrency` calls run at once, stuck ones included, and fewer than the gate's
 *   slots: hung mounts never take every slot from the other pooled reads;
 * - callers never wait longer than the budget they give.
 * A worker thread per call would cost an isolate (~9 MB of RSS) for a syscall of microseconds.
 * Exiting while a call hangs: process-exit.ts ends the process by signal, as Node's exit would
 * join the blocked pool thread; a plain process.exit() meanwhile does the same through the
 * 'exit' hook here.
 */
import { statfs as statfsAsync } from 'node:fs/promises';
import type { BigIntStatsFs } from 'node:fs';
import { goErrnoText } from '../gocompat/errno.js';
import type { HostFs } from '../hostfs/host-fs.js';
import { IoGateError } from '../hostfs/io-gate.js';
import type { Logger } from '../lib/log.js';
import { EndBySignalWhileStuck } from '../lib/process-exit.js';

/** The statfs fields node_exporter uses, as numbers (Go converts them to float64 too). */
export interface FsStats {
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
}

export type StatfsOutcome =
  | { readonly kind: 'ok'; readonly stats: FsStats }
  /** statfs failed; `error` is Go's text for the errno ("permission denied"). */
  | { readonly kind: 'error'; readonly error: string }
  /** No answer within the caller's budget, or the mount is stuck. */
  | { readonly kind: 'timeout' };

const TIMEOUT: StatfsOutcome = { kind: 'timeout' };

export interface MountStatfsOptions {
  /** Its I/O gate bounds the calls in libuv's pool with the host's other reads. */
  readonly host: HostFs;
  /** A call running longer than this makes its mount stuck. */
  readonly mountTimeoutMs: number;
  /** Calls at most at once (node_exporter's --collector.filesystem.stat-workers). */
  readonly concurrency: number;
  readonly log: Logger;
  /** statfs itself; tests substitute one that can be made to hang. */
  readonly statfs?: (path: string) => Promise<BigIntStatsFs>;
}

interface Call {
  readonly path: string;
  readonly startedMs: number;
  /** Settles when the syscall returns; never rejects. */
  readonly outcome: Promise<StatfsOutcome>;
  /** Armed once a caller's budget ran out while the call was running. */
  stuckTimer?: NodeJS.Timeout;
  /** Reported as stuck (logged); its return is then logged as a recovery. */
  reportedStuck: boolean;
}

const realStatfs = (path: string): Promise<BigIntStatsFs> => statfsAsync(path, { bigint: true });

/** Go's float64(x) of an unsigned 64-bit field: the nearest double, as Number() gives. */
function statsOf(s: BigIntStatsFs): StatfsOutcome {
  return {
    kind: 'ok',
    stats: {
      bsize: Number(s.bsize),
      blocks: Number(s.blocks),
      bfree: Number(s.bfree),
      bavail: Number(s.bavail),
      files: Number(s.files),
      ffree: Number(s.ffree),
    },
  };
}

function errorOf(err: unknown): StatfsOutcome {
  const e = err as NodeJS.ErrnoException;
  return { kind: 'error', error: goErrnoText(e.code, e.errno, e.message) };
}

export class MountStatfs {
  /** Calls running now, by path (stuck ones included). */
  private readonly calls = new Map<string, Call>();
  /** Calls started or about to be (granted a turn): at most `limit`. */
  private active = 0;
  private readonly limit: number;
  private readonly turns: ((granted: boolean) => void)[] = [];
  private stuckCount = 0;
  private readonly exitHook: EndBySignalWhileStuck;
  private readonly statfs: (path: string) => Promise<BigIntStatsFs>;

  constructor(private readonly options: MountStatfsOptions) {
    if (!(options.concurrency >= 1)) throw new Error(`statfs concurrency must be at least 1, got ${options.concurrency}`);
    // One gate slot is left to the other pooled reads, whatever number of mounts hang.
    this.limit = Math.max(1, Math.min(options.concurrency, options.host.gatedSlots - 1));
    this.statfs = options.statfs ?? realStatfs;
    // process.exit() joins libuv's pool threads, and one blocked in statfs never joins.
    this.exitHook = new EndBySignalWhileStuck(options.log, 'exiting while statfs calls are hung; ending the process by signal');
  }

  /**
   * statfs of each distinct path, each answered within `withinMs`: 'timeout' for a path still
   * running then, and at once for a stuck path.
   */
  async statfsAll(paths: Iterable<string>, withinMs: number): Promise<Map<string, StatfsOutcome>> {
    const outcomes = new Map<string, StatfsOutcome>();
    for (const path of paths) outcomes.set(path, TIMEOUT);
    const budget = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<StatfsOutcome>((resolve) => {
      timer = setTimeout(() => {
        budget.abort(new Error('statfs budget ran out'));
        resolve(TIMEOUT);
      }, withinMs);
    });
    try {
      await Promise.all(
        Array.from(outcomes.keys(), async (path) => {
          outcomes.set(path, await Promise.race([this.outcomeOf(path, budget.signal), expired]));
        }),
      );
    } finally {
      clearTimeout(timer);
      if (budget.signal.aborted) this.watchSlowCalls();
    }
    return outcomes;
  }

  /** True while an earlier statfs of `path` has run past the mount timeout and not returned. */
  isStuck(path: string): boolean {
    const call = this.calls.get(path);
    return call !== undefined && Date.now() - call.startedMs >= this.options.mountTimeoutMs;
  }

  /** Calls running now (stuck ones included), for tests and debugging. */
  get running(): number {
    return this.calls.size;
  }

  /** Stops the stuck-mount timers; calls still running are abandoned. */
  close(): void {
    for (const call of this.calls.values()) clearTimeout(call.stuckTimer);
  }

  private async outcomeOf(path: string, signal: AbortSignal): Promise<StatfsOutcome> {
    const running = this.calls.get(path);
    if (running) return this.isStuck(path) ? TIMEOUT : running.outcome;
    if (!(await this.turn(signal))) return TIMEOUT;
    // Another scrape may have started this path while we waited for a turn.
    const meanwhile = this.calls.get(path);
    if (meanwhile) {
      this.release();
      return this.isStuck(path) ? TIMEOUT : meanwhile.outcome;
    }
    let started = false;
    try {
      return await this.options.host.runGated(
        path,
        signal,
        () => {
          started = true;
          return this.start(path).outcome;
        },
        this.options.mountTimeoutMs,
      );
    } catch (err) {
      if (!started) this.release();
      // Refused (stuck, or every slot is) or out of budget: node_exporter's mountpoint timeout.
      if (err instanceof IoGateError || signal.aborted) return TIMEOUT;
      throw err;
    }
  }

  private start(path: string): Call {
    const call: Call = {
      path,
      startedMs: Date.now(),
      outcome: this.statfs(path).then(statsOf, errorOf),
      reportedStuck: false,
    };
    this.calls.set(path, call);
    void call.outcome.then(() => this.returned(call));
    return call;
  }

  private returned(call: Call): void {
    this.calls.delete(call.path);
    clearTimeout(call.stuckTimer);
    this.release();
    if (!call.reportedStuck) return;
    this.stuckCount--;
    this.options.log.info('statfs returned again; the mount has recovered, monitoring resumes', {
      path: call.path,
      hung_seconds: (Date.now() - call.startedMs) / 1000,
    });
    this.exitHook.set(this.stuckCount);
  }

  /** A caller's budget ran out: calls still running are reported when they pass the mount timeout. */
  private watchSlowCalls(): void {
    const now = Date.now();
    for (const call of this.calls.values()) {
      if (call.stuckTimer || call.reportedStuck) continue;
      const inMs = Math.max(0, call.startedMs + this.options.mountTimeoutMs - now);
      call.stuckTimer = setTimeout(() => this.reportStuck(call), inMs).unref();
    }
  }

  private reportStuck(call: Call): void {
    if (this.calls.get(call.path) !== call) return;
    call.reportedStuck = true;
    this.stuckCount++;
    this.options.log.warn('statfs did not return within the mount timeout; reporting the mount as stuck until it does', {
      path: call.path,
      mount_timeout_seconds: this.options.mountTimeoutMs / 1000,
    });
    this.exitHook.set(this.stuckCount);
  }

  /** Waits for a turn to start a call; false if the signal aborts first. */
  private turn(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const give = (granted: boolean): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(granted);
      };
      const onAbort = (): void => {
        const at = this.turns.indexOf(give);
        if (at !== -1) this.turns.splice(at, 1);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.turns.push(give);
    });
  }

  /** A call returned (or never started): its turn goes to the next waiting caller. */
  private release(): void {
    const next = this.turns.shift();
    if (next) next(true);
    else this.active--;
  }
}
