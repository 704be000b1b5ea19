/** FIFOs for tests of reads that must never wait for a writer. */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
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

/**
 * Blocks every thread of libuv's pool (`threads`, 4 unless UV_THREADPOOL_SIZE says otherwise)
 * with an open(2) of a FIFO nobody writes to, as a read stuck in the kernel would. Resolves
 * once the pool is seen blocked; at teardown the FIFOs are opened for writing, which lets the
 * opens return, so the test process can still exit.
 */
export async function blockThreadPool(t: ExecutionContext, dir: string, threads = 4): Promise<void> {
  const fifos = Array.from({ length: threads }, (_, i) => path.join(dir, `block-${i}`));
  for (const fifo of fifos) {
    execFileSync('mkfifo', [fifo]);
    fs.open(fifo, 'r', (err, fd) => {
      if (!err) fs.close(fd, () => undefined);
    });
  }
  t.teardown(() => {
    for (const fifo of fifos) {
      try {
        fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      } catch {
        // No reader waits on it (ENXIO): nothing to release.
      }
    }
  });
  // The pool is blocked when a stat queued behind the opens does not come back.
  const answered = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 300);
    fs.stat('/', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (answered) throw new Error('libuv\'s thread pool is not blocked: it has more threads than FIFOs were opened');
}
