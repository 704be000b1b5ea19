import { mapBounded } from '../lib/concurrency.js';
import { desc } from '../exposition/model.js';
import { parsePidStat, type PidStat } from '../procfs/pid-stat.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';
import { isVanishedProcess } from '../hostfs/errors.js';
import { ProcessTable, type TableEntry } from '../process/table.js';

const gauge = (name: string, help: string, labels: string[] = []) => desc(`node_processes_${name}`, help, 'gauge', labels);

const threads = gauge('threads', 'Allocated threads in system');
const maxThreads = gauge('max_threads', 'Limit of threads in the system');
const threadsState = gauge('threads_state', 'Number of threads in each state.', ['thread_state']);
const procsState = gauge('state', 'Number of processes in each state.', ['state']);
const pids = gauge('pids', 'Number of PIDs');
const maxProcesses = gauge('max_processes', 'Number of max PIDs limit');

/** Processes read at once; bounded so a host with many thousands of pids cannot flood the I/O pool. */
const CONCURRENCY = 32;

/** A process's thread ids, or undefined when it exited meanwhile (node_exporter's isIgnoredError). */
async function tasksOf(host: HostFs, pid: string): Promise<string[] | undefined> {
  try {
    return await host.listPids(host.paths.proc(pid, 'task'));
  } catch (err) {
    if (isVanishedProcess(err)) return undefined;
    throw err;
  }
}

async function readStat(host: HostFs, file: string, signal: AbortSignal): Promise<PidStat | undefined> {
  try {
    return await host.parseFile(file, parsePidStat, signal);
  } catch (err) {
    if (isVanishedProcess(err)) return undefined;
    throw err;
  }
}

interface Census {
  pids: number;
  threads: number;
  procStates: Map<string, number>;
  threadStates: Map<string, number>;
}

const bump = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);

/**
 * One pid of the shared listing (its stat read there, once for every collector): the stat counts
 * the process and its num_threads; each task's stat counts a thread state, the main thread taking
 * the process's state, as in node_exporter's processes_linux.go.
 */
async function countProcess(host: HostFs, entry: TableEntry, census: Census, signal: AbortSignal): Promise<void> {
  if ('failed' in entry) throw entry.failed;
  if ('vanished' in entry) return;
  const { pid, stat } = entry;
  census.pids++;
  census.threads += stat.numThreads;
  bump(census.procStates, stat.state);
  const tids = await tasksOf(host, pid);
  if (!tids) return;
  const states = await Promise.all(
    tids.map(async (tid) => (tid === pid ? stat.state : (await readStat(host, host.paths.proc(pid, 'task', tid, 'stat'), signal))?.state)),
  );
  for (const state of states) if (state !== undefined) bump(census.threadStates, state);
}

export const processesCollector: CollectorFactory = {
  name: 'processes',
  defaultEnabled: false,
  create: ({ host, host: { paths } }) => ({
    async update(sink, signal) {
      const census: Census = { pids: 0, threads: 0, procStates: new Map(), threadStates: new Map() };
      const { entries } = await ProcessTable.of(host).listOrNoData(signal);
      await mapBounded(entries, CONCURRENCY, (entry) => countProcess(host, entry, census, signal));
      const sysKernel = (name: string) => paths.proc('sys', 'kernel', name);
      sink.add(threads, census.threads);
      sink.add(maxThreads, await host.readUintFileOrNoData(sysKernel('threads-max'), signal));
      for (const [state, count] of census.procStates) sink.add(procsState, count, state);
      for (const [state, count] of census.threadStates) sink.add(threadsState, count, state);
      const pidMax = await host.readUintFileOrNoData(sysKernel('pid_max'), signal);
      sink.add(pids, census.pids);
      sink.add(maxProcesses, pidMax);
    },
  }),
};
