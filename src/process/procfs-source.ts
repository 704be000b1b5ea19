/**
 * The Linux process source: /proc/<pid>/{stat,cmdline,status,io,fd,limits} and, for
 * multi-threaded processes, task/<tid>/status. What cannot change while a process lives is
 * read once per process (keyed by PID and start time, so a reused PID is a new process): its
 * command line, user and cgroups when its group is decided (groups.ts), and its open-files
 * limit here (with the paths of the files read on every scrape). A scrape reads what changes:
 * stat (the shared listing, table.ts), status, io, the fd count and its other threads' status
 * (the main thread's is the process's own), each through a held fd (host-fs.ts's
 * processFiles), closed once the process is gone.
 */
import { type HostFs, parseText } from '../hostfs/host-fs.js';
import type { HostPaths } from '../hostfs/paths.js';
import { parsePidCmdline } from '../procfs/pid-cmdline.js';
import { parsePidIo } from '../procfs/pid-io.js';
import { parseOpenFilesSoftLimit } from '../procfs/pid-limits.js';
import { parsePidStat, type PidStatDetail } from '../procfs/pid-stat.js';
import { parsePidStatus, parseThreadStatus, type ThreadStatus } from '../procfs/pid-status.js';
import { parseStat, USER_HZ } from '../procfs/stat.js';
import { mapBounded } from '../lib/concurrency.js';
import type { AttributeNeeds, ProcessAttributes } from './match.js';
import { type Counters, type Listing, type ListedProcess, type Measurements, type OptionalFamily, type ProcessMetrics, type ProcessSource, stateName, type StateCounts, STATE_NAMES, zeroStates } from './source.js';
import { UserNames } from './users.js';
import { isVanishedProcess } from '../hostfs/errors.js';
import { ProcessTable } from './table.js';

export interface ProcfsProcess extends ListedProcess {
  readonly stat: PidStatDetail;
}

/** Processes read at once, and threads of one process read at once (bounded: libuv's pool is shared). */
const CONCURRENCY = 32;
const THREAD_CONCURRENCY = 8;

/** Outcome of reading one optional file: the value, gone, or unreadable (a partial error). */
type Read<T> = { readonly value: T } | { readonly vanished: true } | { readonly failed: unknown };

/** What is kept of a process between scrapes, by its id (PID and start time), while it is listed. */
interface KnownProcess {
  readonly statusFile: string;
  readonly ioFile: string;
  /** The soft limit on open files, read once: only prlimit(2) from outside changes it. */
  fdLimit?: Read<number>;
  /** task/<tid>/status by thread id, for the threads listed last time. */
  threadStatusFiles?: Map<string, string>;
}

export class ProcfsSource implements ProcessSource<ProcfsProcess> {
  readonly provides: ReadonlySet<OptionalFamily> = new Set<OptionalFamily>([
    'cpuSystem',
    'io',
    'pageFaults',
    'contextSwitches',
    'virtualMemory',
    'swappedMemory',
    'fds',
    'threads',
    'states',
  ]);
  private bootTime: Promise<number> | undefined;
  private readonly users: UserNames;

  private readonly paths: HostPaths;
  private readonly table: ProcessTable;
  private readonly known = new Map<string, KnownProcess>();

  constructor(private readonly host: HostFs) {
    this.paths = host.paths;
    this.users = new UserNames(host, host.paths.root('etc', 'passwd'));
    this.table = ProcessTable.of(host);
  }

  async list(signal: AbortSignal): Promise<Listing<ProcfsProcess>> {
    const { entries } = await this.table.list(signal);
    let readErrors = 0;
    const processes: ProcfsProcess[] = [];
    const ids = new Set<string>();
    for (const e of entries) {
      if ('failed' in e) readErrors++;
      if (!('stat' in e)) continue;
      processes.push({ pid: Number(e.pid), id: e.id, ppid: e.stat.ppid, comm: e.stat.comm, stat: e.stat });
      ids.add(e.id);
    }
    for (const id of this.known.keys()) if (!ids.has(id)) this.known.delete(id);
    return { processes, readErrors };
  }

  async attributes(p: ProcfsProcess, needs: AttributeNeeds, signal: AbortSignal): Promise<ProcessAttributes | undefined> {
    const cmdline = await this.read(String(p.pid), 'cmdline', parsePidCmdline, signal);
    // Unreadable: undecided for now, looked at again next scrape (process-exporter does the same).
    if (!('value' in cmdline)) return undefined;
    let username: string | undefined;
    if (needs.username) {
      const status = await this.read(String(p.pid), 'status', parsePidStatus, signal);
      if (!('value' in status)) return undefined;
      const uid = status.value.effectiveUid;
      username = uid === undefined ? '' : await this.users.name(uid, signal);
    }
    let cgroups: string[] | undefined;
    if (needs.cgroups) {
      const r = await this.read(String(p.pid), 'cgroup', cgroupPaths, signal);
      if ('vanished' in r) return undefined;
      // As process-exporter: no cgroups (not mounted, unreadable) is an empty list.
      cgroups = 'value' in r ? r.value : [];
    }
    return {
      pid: p.pid,
      comm: p.comm,
      cmdline: cmdline.value,
      startTimeSeconds: (await this.bootTimeSeconds(signal)) + p.stat.startTicks / USER_HZ,
      username,
      cgroups,
    };
  }

  async measure(processes: readonly ProcfsProcess[], signal: AbortSignal): Promise<Measurements<ProcfsProcess>> {
    const [bootTime, pageSize] = await Promise.all([this.bootTimeSeconds(signal), this.host.pageSize()]);
    const metrics = new Map<ProcfsProcess, ProcessMetrics>();
    let partialErrors = 0;
    let readErrors = 0;
    const results = await mapBounded(processes, CONCURRENCY, (p) => this.measureOne(p, bootTime, pageSize, signal));
    results.forEach((r, i) => {
      if (r === 'vanished') return;
      if (r === 'failed') {
        readErrors++;
        return;
      }
      metrics.set(processes[i] as ProcfsProcess, r.metrics);
      if (r.partial) partialErrors++;
    });
    return { metrics, partialErrors, readErrors };
  }

  private async measureOne(
    p: ProcfsProcess,
    bootTime: number,
    pageSize: number,
    signal: AbortSignal,
  ): Promise<{ metrics: ProcessMetrics; partial: boolean } | 'vanished' | 'failed'> {
    const pid = String(p.pid);
    const known = this.knownProcess(p);
    // With the state letter, for its main thread's share when the threads are read.
    const ownStatus = this.readFile(known.statusFile, parseThreadStatus, signal);
    const [status, io, fds, fdLimit, threads] = await Promise.all([
      ownStatus,
      this.readFile(known.ioFile, parsePidIo, signal),
      this.countFds(pid, signal),
      this.fdLimit(p, known, signal),
      p.stat.numThreads > 1 ? this.readThreads(pid, known, ownStatus, signal) : undefined,
    ]);
    if ('vanished' in status) return 'vanished';
    if ('failed' in status) return 'failed';
    const { stat } = p;
    const counters: Counters = {
      cpuUserMs: (stat.utimeTicks * 1000) / USER_HZ,
      cpuSystemMs: (stat.stimeTicks * 1000) / USER_HZ,
      readBytes: 'value' in io ? io.value.readBytes : undefined,
      writeBytes: 'value' in io ? io.value.writeBytes : undefined,
      majorPageFaults: stat.majorFaults,
      minorPageFaults: stat.minorFaults,
      voluntaryCtxSwitches: status.value.voluntaryCtxtSwitches,
      nonvoluntaryCtxSwitches: status.value.nonvoluntaryCtxtSwitches,
    };
    const states = zeroStates();
    states[stateName(stat.state)]++;
    // As process-exporter: with two or more threads read, context switches are the threads'
    // sum (a process's own status counts only its main thread), and each thread's state is
    // counted too, on top of the process's.
    if (threads && 'value' in threads && threads.value.count >= 2) {
      counters.voluntaryCtxSwitches = threads.value.voluntary;
      counters.nonvoluntaryCtxSwitches = threads.value.nonvoluntary;
      for (const name of STATE_NAMES) states[name] += threads.value.states[name];
    }
    return {
      metrics: {
        counters,
        residentBytes: Math.max(0, stat.rssPages) * pageSize,
        virtualBytes: stat.virtualBytes,
        swappedBytes: status.value.swapBytes,
        openFds: 'value' in fds ? fds.value : undefined,
        fdLimit: 'value' in fdLimit ? fdLimit.value : undefined,
        numThreads: stat.numThreads,
        states,
        startTimeSeconds: bootTime + stat.startTicks / USER_HZ,
      },
      partial: 'failed' in io || 'failed' in fds || 'failed' in fdLimit || (threads !== undefined && 'failed' in threads),
    };
  }

  private knownProcess(p: ProcfsProcess): KnownProcess {
    let known = this.known.get(p.id);
    if (!known) {
      const pid = String(p.pid);
      this.known.set(p.id, (known = { statusFile: this.paths.proc(pid, 'status'), ioFile: this.paths.proc(pid, 'io') }));
    }
    return known;
  }

  private async fdLimit(p: ProcfsProcess, known: KnownProcess, signal: AbortSignal): Promise<Read<number>> {
    if (known.fdLimit) return known.fdLimit;
    const r = await this.read(String(p.pid), 'limits', parseOpenFilesSoftLimit, signal);
    if ('value' in r) known.fdLimit = r;
    return r;
  }

  /** The number of entries in /proc/<pid>/fd (open descriptors), as process-exporter counts them. */
  private async countFds(pid: string, signal: AbortSignal): Promise<Read<number>> {
    signal.throwIfAborted();
    return this.attempt(() => this.host.countOpenFds(pid, signal), signal);
  }

  /**
   * The threads' context switches and states. The main thread's status is the process's own
   * (the kernel prints /proc/<pid>/status from the main thread), which is read anyway.
   */
  private async readThreads(
    pid: string,
    known: KnownProcess,
    ownStatus: Promise<Read<ThreadStatus>>,
    signal: AbortSignal,
  ): Promise<Read<{ count: number; voluntary: number; nonvoluntary: number; states: StateCounts }>> {
    const tids = await this.attempt(async () => this.host.listPids(this.paths.proc(pid, 'task')), signal);
    if (!('value' in tids)) return tids;
    const files = (known.threadStatusFiles ??= new Map());
    const sum = { count: 0, voluntary: 0, nonvoluntary: 0, states: zeroStates() };
    let others = 0;
    // status alone has both the state (the letter stat has too) and the context switches.
    await mapBounded(tids.value, THREAD_CONCURRENCY, async (tid) => {
      let r: Read<ThreadStatus>;
      if (tid === pid) r = await ownStatus;
      else {
        others++;
        let file = files.get(tid);
        if (file === undefined) files.set(tid, (file = this.paths.proc(pid, 'task', tid, 'status')));
        r = await this.readFile(file, parseThreadStatus, signal);
      }
      if (!('value' in r)) return; // A thread that ended meanwhile.
      let state = r.value.state;
      if (state === undefined) {
        const stat = await this.read(`${pid}/task/${tid}`, 'stat', parsePidStat, signal);
        if (!('value' in stat)) return;
        state = stat.value.state;
      }
      sum.count++;
      sum.voluntary += r.value.voluntaryCtxtSwitches ?? 0;
      sum.nonvoluntary += r.value.nonvoluntaryCtxtSwitches ?? 0;
      sum.states[stateName(state)]++;
    });
    // Every listed thread but the main one has its file now; more files than that means some have ended.
    if (files.size > others) {
      const listed = new Set(tids.value);
      for (const tid of files.keys()) if (!listed.has(tid)) files.delete(tid);
    }
    return { value: sum };
  }

  /** /proc/stat's btime, read once: it does not change while the machine runs. */
  private bootTimeSeconds(signal: AbortSignal): Promise<number> {
    if (!this.bootTime) {
      const file = this.paths.proc('stat');
      this.bootTime = this.host.readText(file, signal).then((text) => {
        const bootTime = parseText(file, text, parseStat).bootTime;
        if (bootTime === undefined) throw new Error(`${file} has no btime line`);
        return bootTime;
      });
      this.bootTime.catch(() => {
        this.bootTime = undefined; // Try again next scrape.
      });
    }
    return this.bootTime;
  }

  private read<T>(dir: string, file: string, parse: (text: string) => T, signal: AbortSignal): Promise<Read<T>> {
    return this.readFile(this.paths.proc(dir, file), parse, signal);
  }

  private readFile<T>(path: string, parse: (text: string) => T, signal: AbortSignal): Promise<Read<T>> {
    return this.attempt(async () => parseText(path, await this.host.readText(path, signal), parse), signal);
  }

  private async attempt<T>(read: () => Promise<T>, signal: AbortSignal): Promise<Read<T>> {
    try {
      return { value: await read() };
    } catch (err) {
      if (signal.aborted) throw err;
      return isVanishedProcess(err) ? { vanished: true } : { failed: err };
    }
  }
}

/** /proc/<pid>/cgroup: "hierarchy-ID:controllers:path" lines; the paths, as process-exporter's {{.Cgroups}}. */
function cgroupPaths(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(':').slice(2).join(':'));
}
