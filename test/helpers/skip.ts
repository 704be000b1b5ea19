/**
 * For a test that cannot run on this machine (no FUSE, no root, a kernel feature or tool
 * missing). In CI (the CI variable is set) the machine is meant to have everything, so the
 * test fails; elsewhere it logs why and passes. The caller returns right after.
 * Type-only import of ava: bench/ loads helpers that use this.
 */
import type { ExecutionContext } from 'ava';

export function cannotRunHere(t: ExecutionContext, reason: string): void {
  if (process.env['CI']) {
    t.fail(`${reason}; CI must run this test`);
  } else {
    t.log(`SKIPPED: ${reason}`);
    t.pass();
  }
}
