/**
 * Keeps the last result of a slow call (one that starts processes) fresh in the background, so
 * a scrape only reads memory. One call at a time: the next starts `intervalMs` after the last one
 * settled, even when that one outlived its timeout. Timers are unref'd and never keep the
 * process alive.
 */

import type { Logger } from '../lib/log.js';
import type { FallbackDeps } from './system-info.js';
import { NoDataError } from '../hostfs/errors.js';

export interface RefresherOptions {
  /** What is fetched, for log lines and errors ("systeminformation mem()"). */
  readonly what: string;
  /** Pause after a successful call; undefined fetches once (static facts). */
  readonly intervalMs?: number;
  /** Pause after a failed call. */
  readonly retryMs: number;
  /** A call not settled by then counts as failed (it is still waited for before the next one). */
  readonly timeoutMs: number;
  readonly log: Logger;
}

type State<T> = { readonly kind: 'pending' } | { readonly kind: 'ok'; readonly value: T } | { readonly kind: 'failed'; readonly error: Error };

export class Refresher<T> {
  private state: State<T> = { kind: 'pending' };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  /** Starts the first call at once. */
  constructor(
    private readonly fetch: () => Promise<T>,
    private readonly options: RefresherOptions,
  ) {
    this.refresh();
  }

  /**
   * The last result. Before the first call settles it throws NoDataError (the collector reports
   * success 0 and logs at debug level); after a failed call, that call's error.
   */
  get current(): T {
    switch (this.state.kind) {
      case 'ok':
        return this.state.value;
      case 'pending':
        throw new NoDataError(`waiting for the first ${this.options.what}`);
      case 'failed':
        throw this.state.error;
    }
  }

  /** Settles once the call under way (if any) has settled. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Stops refreshing. A call under way is not waited for: it may be hung, and shutdown must not be. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private refresh(): void {
    this.timer = undefined;
    this.running = this.callOnce().finally(() => {
      this.running = undefined;
      this.scheduleNext();
    });
  }

  private scheduleNext(): void {
    if (this.closed) return;
    const delay = this.state.kind === 'ok' ? this.options.intervalMs : this.options.retryMs;
    if (delay === undefined) return;
    this.timer = setTimeout(() => this.refresh(), delay).unref();
  }

  private async callOnce(): Promise<void> {
    const { what, timeoutMs } = this.options;
    // Started synchronously (the first call from the constructor), a throw becoming a rejection.
    const call = new Promise<T>((resolve) => resolve(this.fetch()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs}ms`)), timeoutMs).unref();
    });
    try {
      this.succeeded(await Promise.race([call, deadline]));
    } catch (err) {
      this.failed(err instanceof Error ? err : new Error(String(err)));
      await call.catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  private succeeded(value: T): void {
    if (this.state.kind === 'failed') this.options.log.info(`${this.options.what} succeeded again`);
    this.state = { kind: 'ok', value };
  }

  private failed(cause: Error): void {
    const error = new Error(`${this.options.what} failed: ${cause.message}`, { cause });
    // Said once per outage at warn; every failed scrape is logged by the scrape itself.
    const level = this.state.kind === 'failed' ? 'debug' : 'warn';
    this.options.log[level](`${this.options.what} failed`, { err: cause });
    this.state = { kind: 'failed', error };
  }
}

/** A value that changes (counters, free space): refreshed every `deps.refreshMs`. */
export function changingValue<T>(deps: FallbackDeps, log: Logger, what: string, fetch: () => Promise<T>): Refresher<T> {
  return new Refresher(fetch, { what, intervalMs: deps.refreshMs, retryMs: deps.refreshMs, timeoutMs: deps.callTimeoutMs, log });
}

/** A fact that changes only with a reboot (firmware strings, CPU model): fetched once, retried on failure. */
export function staticValue<T>(deps: FallbackDeps, log: Logger, what: string, fetch: () => Promise<T>): Refresher<T> {
  return new Refresher(fetch, { what, retryMs: deps.staticRetryMs, timeoutMs: deps.callTimeoutMs, log });
}
