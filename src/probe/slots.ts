/**
 * A counting semaphore for probes that cost a process each (ICMP: one `ping` per probe), so
 * that a burst of /probe requests cannot start hundreds of processes at once. Waiters are
 * served in arrival order and give up when their own signal aborts (deadline or hang-up).
 */
export class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`slot limit must be a whole number of at least 1, got ${limit}`);
  }

  /** Probes holding a slot. */
  get inUse(): number {
    return this.active;
  }

  /**
   * Waits for a slot; resolves with the function that frees it (call it exactly once), or with
   * undefined when `signal` aborts first.
   */
  acquire(signal: AbortSignal): Promise<(() => void) | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const grant = (): void => {
        signal.removeEventListener('abort', giveUp);
        this.active++;
        resolve(this.releaser());
      };
      const giveUp = (): void => {
        const i = this.waiting.indexOf(grant);
        if (i !== -1) this.waiting.splice(i, 1);
        resolve(undefined);
      };
      this.waiting.push(grant);
      signal.addEventListener('abort', giveUp, { once: true });
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }
}
