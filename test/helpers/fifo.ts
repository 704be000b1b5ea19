/** FIFOs for tests of reads that must never wait for a writer. */
import { execFileSync, spawn } from 'node:child_process';
import type { ExecutionContext } from 'ava';

/**
 * Makes a FIFO whose writer comes only after `ms` (then writes "late"), so that a read that
 * wrongly waits for a writer still ends, late, instead of hanging the test. The writer is
 * bounded by timeout(1) and killed at teardown.
 */
export function fifoWithLateWriter(t: ExecutionContext, file: string, ms: number): void {
  execFileSync('mkfifo', [file]);
  const writer = spawn('timeout', [String(ms / 1000 + 3), 'sh', '-c', `sleep ${ms / 1000}; echo late > "$0"`, file], { stdio: 'ignore' });
  t.teardown(() => {
    writer.kill('SIGKILL');
  });
}
