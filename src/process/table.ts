/**
 * The processes under --path.procfs with their /proc/<pid>/stat, listed once for all the
 * collectors of a scrape: process groups and the cgroup collector both start from it, and
 * run concurrently, so a listing asked for while another is being read shares it.
 */
import { type HostFs, parseText } from '../hostfs/host-fs.js';
import { NoDataError, isNotFound, isVanishedProcess } from '../hostfs/errors.js';
import { mapBounded } from '../lib/concurrency.js';
import { parsePidStatDetail, type PidStatDetail } from '../procfs/pid-stat.js';

/** One /proc entry: its stat, or why there is none (exited meanwhile, or unreadable). */
export type TableEntry =
  | { readonly pid: string; /** processId() */ readonly id: string; readonly stat: PidStatDetail }
  | { readonly pid: string; readonly vanished: true }
  | { readonly pid: string; readonly failed: unknown };

export interface ProcessListing {
  /** Every numeric /proc entry, ascending. */
  readonly entries: readonly TableEntry[];
}

/** Processes whose stat is read at once (bounded: libuv's pool is shared). */
const CONCURRENCY = 32;

/** A process's identity across PID reuse: its PID and start time. */
export function processId(pid: number | string, stat: PidStatDetail): string {
  return `${pid}:${stat.startTicks}`;
}

/** What stays the same for a PID from one listing to the next (until the process exits), so that it is not built again on every scrape. */
interface KnownPid {
  readonly statFile: string;
  /** The id of the process last seen with this PID (a reused PID gets a new one). */
  startTicks: number;
  id: string;
}

export class ProcessTable {
  private inFlight: Promise<ProcessListing> | undefined;
  /** By PID, for the PIDs of the last listing. */
  private readonly known = new Map<string, KnownPid>();

  constructor(private readonly host: HostFs) {}

  /** The table of this host, shared by every collector reading it. */
  static of(host: HostFs): ProcessTable {
    return host.shared(PROCESS_TABLE, () => new ProcessTable(host));
  }

  /** list(), with no procfs at all as NoDataError (no data, rather than a failed read). */
  async listOrNoData(signal: AbortSignal): Promise<ProcessListing> {
    try {
      return await this.list(signal);
    } catch (err) {
      if (isNotFound(err)) throw new NoDataError(`${this.host.paths.proc()} does not exist`);
      throw err;
    }
  }

  /** Lists /proc now, or joins a listing being read; rejects with the fs error (ENOENT) when there is no procfs. */
  async list(signal: AbortSignal): Promise<ProcessListing> {
    const joined = this.inFlight;
    if (joined) {
      try {
        return await joined;
      } catch (err) {
        // Maybe the other caller's deadline cut it: read again under our own.
        if (signal.aborted) throw err;
      }
    }
    return this.start(signal);
  }

  private start(signal: AbortSignal): Promise<ProcessListing> {
    const listing = this.read(signal);
    this.inFlight = listing;
    const clear = () => {
      if (this.inFlight === listing) this.inFlight = undefined;
    };
    listing.then(clear, clear);
    return listing;
  }

  private async read(signal: AbortSignal): Promise<ProcessListing> {
    const pids = await this.host.listPids(this.host.paths.proc());
    const entries = await mapBounded(pids, CONCURRENCY, async (pid): Promise<TableEntry> => {
      const known = this.knownPid(pid);
      try {
        const stat = parseText(known.statFile, await this.host.readText(known.statFile, signal), parsePidStatDetail);
        if (stat.startTicks !== known.startTicks) {
          known.startTicks = stat.startTicks;
          known.id = processId(pid, stat);
        }
        return { pid, id: known.id, stat };
      } catch (err) {
        if (signal.aborted) throw err;
        return isVanishedProcess(err) ? { pid, vanished: true } : { pid, failed: err };
      }
    });
    const alive = new Set<string>();
    for (const e of entries) if ('stat' in e) alive.add(e.pid);
    for (const pid of this.known.keys()) if (!alive.has(pid)) this.known.delete(pid);
    // Fds held for processes that are gone would only wait for their idle timeout.
    this.host.retainProcesses(alive);
    return { entries };
  }

  private knownPid(pid: string): KnownPid {
    let known = this.known.get(pid);
    if (!known) this.known.set(pid, (known = { statFile: this.host.paths.proc(pid, 'stat'), startTicks: -1, id: '' }));
    return known;
  }
}

const PROCESS_TABLE = Symbol('ProcessTable');
