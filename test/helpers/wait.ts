/** Bounded waiting for tests. */

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `condition` every 20 ms; throws once `timeoutMs` has passed without it holding. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Polls `probe` every `everyMs` until it returns a value (errors count as none); undefined after `timeoutMs`. */
export async function pollFor<T>(timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 1000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() + everyMs > deadline) return undefined;
    await sleep(everyMs);
  }
}
