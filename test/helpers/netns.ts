/**
 * Network namespaces for tests that must fail on the network without sending anything off the
 * machine: a namespace is created per test (unique name), used through `ip netns exec`, and
 * deleted at teardown. Needs root (CAP_SYS_ADMIN) and iproute2.
 */
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { cannotRunHere } from './skip.js';

/** build/ (this file runs from build/test/helpers). */
export const BUILD_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let counter = 0;

function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

let usable: boolean | undefined;

/** Whether this process may create namespaces; if not, see cannotRunHere. */
export function requireNetns(t: ExecutionContext): boolean {
  if (usable === undefined) {
    const name = `probe-check-${process.pid}`;
    try {
      ip(['netns', 'add', name]);
      ip(['netns', 'del', name]);
      usable = true;
    } catch {
      usable = false;
    }
  }
  if (usable) return true;
  cannotRunHere(t, 'cannot create network namespaces (needs root and iproute2)');
  return false;
}

export interface Netns {
  readonly name: string;
  /** Runs a shell command inside the namespace (setup such as links and addresses). */
  sh(command: string): string;
  /** PIDs of processes still running in the namespace. */
  pids(): string[];
  delete(): void;
}

/** A fresh namespace; its loopback stays down unless the caller brings it up. */
export function createNetns(): Netns {
  const name = `probe-test-${process.pid}-${++counter}`;
  ip(['netns', 'add', name]);
  return {
    name,
    sh: (command) => ip(['netns', 'exec', name, 'sh', '-c', command]),
    pids: () => ip(['netns', 'pids', name]).split('\n').filter(Boolean),
    delete: () => {
      try {
        ip(['netns', 'del', name]);
      } catch {
        // Already gone.
      }
    },
  };
}

export interface ChildRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
  readonly ms: number;
}

/** Runs an ES module snippet in a child node, optionally inside a namespace, bounded in time. */
export function runNode(code: string, opts: { netns?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ChildRun> {
  const nodeArgs = ['--input-type=module', '-e', code];
  const [file, args] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(file, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const exit = err as (Error & { code?: number | string }) | null;
      resolve({ stdout, stderr, code: exit ? (typeof exit.code === 'number' ? exit.code : -1) : 0, ms: Date.now() - started });
    });
  });
}
