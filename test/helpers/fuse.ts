/**
 * FUSE file systems that hang on purpose (test/helpers/hanging-*.py), mounted in a private
 * mount namespace (unshare) so that no other process on the machine ever sees the hang. Their
 * files are reached from here through /proc/<daemon>/root.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { REPO_ROOT } from './exporters.js';
import { cannotRunHere } from './skip.js';
import { waitFor } from './wait.js';

const SYSTEM_PYTHON = '/usr/bin/python3'; // python3-fusepy is installed for this interpreter only
export const BOUND_MS = 5000;

export interface FuseMount {
  /** The daemon's pid: its namespace's root is /proc/<pid>/root. */
  readonly pid: number;
  readonly mountpoint: string;
  /** A scratch directory of the test, outside the mount. */
  readonly dir: string;
  /** What the daemon printed so far. */
  output(): string;
  /** Creates the release file: hung calls (and later ones) answer. */
  release(): Promise<void>;
  /** Unmounts and kills the daemon (idempotent, bounded in time). */
  stop(): Promise<void>;
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve) => execFile(file, args, { timeout: BOUND_MS }, () => resolve()));
}

function closed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('close', () => resolve());
  });
}

/** Whether `p` settled within `ms`. */
export async function boundedWait(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Mounts `script` (called as `script MOUNTPOINT ...args(dir, releaseFile)`), which prints
 * "ready" once mounted; or returns undefined after logging why the test is skipped.
 */
export async function mountHangingFuse(
  t: ExecutionContext,
  script: string,
  args: (dir: string, releaseFile: string) => string[],
): Promise<FuseMount | undefined> {
  if (!existsSync('/dev/fuse')) {
    cannotRunHere(t, '/dev/fuse is absent, so no FUSE filesystem can be mounted here');
    return undefined;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hanging-fuse-'));
  const mountpoint = path.join(dir, 'mnt');
  const releaseFile = path.join(dir, 'release');
  await mkdir(mountpoint);
  const child = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', SYSTEM_PYTHON, path.join(REPO_ROOT, 'test/helpers', script), mountpoint, ...args(dir, releaseFile)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.on('error', (err) => (output += `\nspawn error: ${err.message}`));
  const exited = closed(child);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        // Lazy unmount in the daemon's namespace, then kill it: a hung request is then aborted.
        await run('nsenter', ['--target', String(child.pid), '--mount', 'fusermount', '-u', '-z', mountpoint]);
        child.kill('SIGKILL');
      }
      if (!(await boundedWait(exited, BOUND_MS))) t.log(`the FUSE daemon (pid ${child.pid}) did not exit after SIGKILL`);
      await rm(dir, { recursive: true, force: true });
    })());
  t.teardown(stop);

  const ready = await boundedWait(
    waitFor('the FUSE daemon to print "ready"', () => output.includes('ready') || child.exitCode !== null || child.signalCode !== null, 10_000),
    11_000,
  );
  if (!ready || !output.includes('ready')) {
    await stop();
    if (/not permitted|permission denied|EPERM/i.test(output)) {
      cannotRunHere(t, `mounting FUSE in a private mount namespace is not permitted here:\n${output}`);
      return undefined;
    }
    throw new Error(`the hanging FUSE filesystem did not mount:\n${output}`);
  }
  return {
    pid: child.pid as number,
    mountpoint,
    dir,
    output: () => output,
    release: () => writeFile(releaseFile, ''),
    stop,
  };
}

/** /proc/<pid>/task/<pid>/stat's state: the main thread's, or undefined once the process is gone. */
export function mainThreadState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/**
 * Waits up to `ms` for the main thread of `pid` to stop running (zombie, or the process gone).
 * The kernel keeps a process whose other threads are stuck in a FUSE call until the call is
 * aborted, so a process that has ended shows as its main thread ended.
 */
export async function mainThreadEnded(pid: number, ms: number): Promise<string | undefined> {
  await waitFor('the main thread to end', () => !['S', 'R', 'D'].includes(mainThreadState(pid) ?? 'gone'), ms).catch(() => undefined);
  return mainThreadState(pid);
}
