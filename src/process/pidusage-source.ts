/**
 * The process source for platforms without /proc (macOS, Windows, the BSDs): the process list
 * from systeminformation.processes(), refreshed on a slow background timer because it spawns
 * `ps` (or PowerShell) and takes tens of milliseconds, never during a scrape; and per scrape
 * one batched pidusage() call for the tracked processes' CPU time and resident memory.
 *
 * pidusage gives CPU time as one number (user + system), so it is exported as mode="user" and
 * mode="system" is left out rather than reported as a false 0. I/O, page faults, context
 * switches, swap, fds and threads have no source here and are left out too.
 */

import type { Logger } from '../lib/log.js';
import type { AttributeNeeds, ProcessAttributes } from './match.js';
import { type Listing, type ListedProcess, type Measurements, type OptionalFamily, type ProcessMetrics, type ProcessSource, type StateName, zeroStates } from './source.js';
import { NoDataError } from '../hostfs/errors.js';

/** The fields of systeminformation's process entries (Systeminformation.ProcessesProcessData) that are used. */
export interface SiProcess {
  readonly pid: number;
  readonly parentPid: number;
  readonly name: string;
  readonly command: string;
  readonly params: string;
  readonly path: string;
  readonly user: string;
  /** Local time, "YYYY-MM-DD HH:MM:SS". */
  readonly started: string;
  /** running, sleeping, blocked, zombie, stopped, unknown, ... */
  readonly state: string;
  /** KiB. */
  readonly memVsz: number;
}

/** The fields of pidusage's result that are used. */
export interface PidUsage {
  /** CPU time, user + system, in milliseconds. */
  readonly ctime: number;
  /** Resident memory in bytes. */
  readonly memory: number;
}

export interface PidusageSourceDeps {
  /** systeminformation.processes(). */
  readonly listProcesses: () => Promise<{ readonly list: readonly SiProcess[] }>;
  /** pidusage(pids): a missing or exited pid is absent or null. */
  readonly usage: (pids: number[]) => Promise<Record<string, PidUsage | null | undefined>>;
  /** pidusage.clear(), at close. */
  readonly clear?: () => void;
  readonly log: Logger;
  readonly refreshMs?: number;
}

export interface PidusageProcess extends ListedProcess {
  readonly info: SiProcess;
  readonly startTimeSeconds: number;
}

export const PROCESS_LIST_REFRESH_MS = 30_000;

/** systeminformation's state words, in process-exporter's states. */
const STATES: Readonly<Record<string, StateName>> = { running: 'Running', sleeping: 'Sleeping', blocked: 'Waiting', zombie: 'Zombie' };

/** "2026-01-02 03:04:05" in local time (how systeminformation prints `started`), as epoch seconds. */
function parseStarted(started: string): number | undefined {
  const ms = new Date(started.replace(' ', 'T')).getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/** argv rebuilt from systeminformation's path, command and params (it does not keep argv). */
function argvOf(info: SiProcess): string[] {
  const command = info.command ?? '';
  // Windows puts the whole command line in `command`; macOS splits off the directory.
  const argv0 = info.path && !/[\\/]/.test(command) ? `${info.path}/${command}` : command;
  const params = (info.params ?? '').trim();
  return [argv0, ...(params === '' ? [] : params.split(/\s+/))].filter((a) => a !== '');
}

export class PidusageSource implements ProcessSource<PidusageProcess> {
  readonly provides: ReadonlySet<OptionalFamily> = new Set<OptionalFamily>(['virtualMemory', 'states']);
  private latest: PidusageProcess[] | undefined;
  private refreshing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: PidusageSourceDeps) {}

  /** Starts the background refresh (the first one at once). */
  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.deps.refreshMs ?? PROCESS_LIST_REFRESH_MS);
    this.timer.unref();
  }

  /** Re-reads the process list; a refresh already running is joined, not repeated. */
  refresh(): Promise<void> {
    this.refreshing ??= this.deps
      .listProcesses()
      .then(
        ({ list }) => {
          // Keep a process's start time from its first listing: systeminformation derives it from
          // the elapsed time, so it can move by a second between listings.
          const before = new Map((this.latest ?? []).map((p) => [p.id, p]));
          const now = Math.floor(Date.now() / 1000);
          this.latest = list.map((info) => {
            const id = `${info.pid}:${info.name}`;
            const startTimeSeconds = before.get(id)?.startTimeSeconds ?? parseStarted(info.started) ?? now;
            return { pid: info.pid, id, ppid: info.parentPid, comm: info.name, info, startTimeSeconds };
          });
        },
        (err: unknown) => this.deps.log.warn('listing processes failed; keeping the previous list', { err }),
      )
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  async list(): Promise<Listing<PidusageProcess>> {
    if (!this.latest) throw new NoDataError('the process list is not ready yet (it is gathered in the background)');
    return { processes: this.latest, readErrors: 0 };
  }

  async attributes(p: PidusageProcess, _needs: AttributeNeeds): Promise<ProcessAttributes> {
    return { pid: p.pid, comm: p.comm, cmdline: argvOf(p.info), startTimeSeconds: p.startTimeSeconds, username: p.info.user, cgroups: [] };
  }

  async measure(processes: readonly PidusageProcess[]): Promise<Measurements<PidusageProcess>> {
    const metrics = new Map<PidusageProcess, ProcessMetrics>();
    if (processes.length === 0) return { metrics, partialErrors: 0, readErrors: 0 };
    const usage = await this.deps.usage(processes.map((p) => p.pid));
    for (const p of processes) {
      const u = usage[String(p.pid)];
      if (!u) continue; // Exited since the last listing.
      const states = zeroStates();
      states[STATES[p.info.state] ?? 'Other']++;
      metrics.set(p, {
        counters: { cpuUserMs: Math.round(u.ctime) },
        residentBytes: u.memory,
        // ps and Windows report KiB; from the last listing, so up to one refresh old.
        virtualBytes: (p.info.memVsz ?? 0) * 1024,
        states,
        startTimeSeconds: p.startTimeSeconds,
      });
    }
    return { metrics, partialErrors: 0, readErrors: 0 };
  }

  close(): void {
    clearInterval(this.timer);
    this.deps.clear?.();
  }
}
