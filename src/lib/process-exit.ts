/**
 * Ending the process within a bound. Node's exit path joins every thread of libuv's pool and
 * every worker thread before the process ends, and a thread blocked in a system call (open(2) of
 * a FIFO nobody writes to, a read from a hung NFS or FUSE mount) never joins, so process.exit()
 * would hang for as long as the call does. Requests still in the pool are therefore waited for a
 * moment; if some are still pending, the process ends by signal instead, which needs no join.
 * (Worker pools end the process the same way from their own 'exit' hooks: worker-pool.ts.)
 */
import { isMainThread } from 'node:worker_threads';
import type { Logger } from './log.js';

/** Names, in process.getActiveResourcesInfo(), of requests that run on libuv's thread pool. */
const POOL_REQUEST = /^(FSReq|FileHandleCloseReq$|GetAddrInfoReqWrap$|GetNameInfoReqWrap$|Zlib$)|Job$/;

/** How long exitProcess waits for pending pool requests before ending by signal. */
export const POOL_DRAIN_MS = 1000;

/** Requests now running or queued on libuv's thread pool, by resource name. */
export function pendingPoolRequests(): string[] {
  return process.getActiveResourcesInfo().filter((name) => POOL_REQUEST.test(name));
}

/** "FSReqCallback x2, FSReqPromise": a short summary for a log line. */
function summarize(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, c]) => (c > 1 ? `${n} x${c}` : n)).join(', ');
}

/**
 * Exits with `code` once the thread pool has no pending requests; if some are still pending
 * after `graceMs`, logs them and ends the process by `signal` (its default action) instead.
 */
export async function exitProcess(
  code: number,
  options: { readonly log: Logger; readonly signal?: NodeJS.Signals; readonly graceMs?: number },
): Promise<never> {
  const deadline = Date.now() + (options.graceMs ?? POOL_DRAIN_MS);
  while (pendingPoolRequests().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const pending = pendingPoolRequests();
  if (pending.length > 0) {
    const signal = options.signal ?? 'SIGTERM';
    options.log.error('file system requests have not returned; ending the process by signal, as a normal exit would wait for them', {
      pending: summarize(pending),
      signal,
      exit_code: code,
    });
    endBySignal(signal);
  }
  process.exit(code);
}

/**
 * Ends the process by `signal`'s default action, without Node's exit path (which joins threads
 * that may never return); SIGKILL if that signal is somehow caught or ignored.
 */
export function endBySignal(signal: NodeJS.Signals): never {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: the process was sent SIGKILL');
}

/**
 * An 'exit' hook, held only while some calls are stuck in threads that never join (a hung
 * statfs in libuv's pool, a hung worker): process.exit() would then hang, so the hook logs
 * `message` and ends the process by signal. Off the main thread it does nothing (a signal there
 * would end the whole process, not the thread).
 */
export class EndBySignalWhileStuck {
  private stuck = 0;
  private hooked = false;

  constructor(
    private readonly log: Logger,
    private readonly message: string,
  ) {}

  /** How many calls are stuck now. */
  set(stuck: number): void {
    this.stuck = stuck;
    if (!isMainThread) return;
    const want = stuck > 0;
    if (want === this.hooked) return;
    this.hooked = want;
    if (want) process.on('exit', this.onExit);
    else process.off('exit', this.onExit);
  }

  private readonly onExit = (): void => {
    if (this.stuck === 0) return;
    this.log.warn(this.message, { stuck: this.stuck });
    endBySignal('SIGTERM');
  };
}
