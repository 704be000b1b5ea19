/**
 * Where process groups get their processes: /proc on Linux, systeminformation + pidusage
 * elsewhere. The collector and the group accounting are the same for both.
 */
import type { AttributeNeeds, ProcessAttributes } from './match.js';

/** A process as the cheap listing sees it, before deciding whether it is tracked. */
export interface ListedProcess {
  readonly pid: number;
  /** Identifies the process across pid reuse (on Linux, pid and start ticks). */
  readonly id: string;
  readonly ppid: number;
  /** Rules are applied again when comm changes (an exec), so it is part of the listing. */
  readonly comm: string;
}

export const COUNTER_NAMES = [
  'cpuUserMs',
  'cpuSystemMs',
  'readBytes',
  'writeBytes',
  'majorPageFaults',
  'minorPageFaults',
  'voluntaryCtxSwitches',
  'nonvoluntaryCtxSwitches',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];
/**
 * Cumulative counts since the process started; a missing one could not be read. CPU time is in
 * whole milliseconds, so that sums of many deltas stay exact (0.26, not 0.26000000000000056).
 */
export type Counters = Partial<Record<CounterName, number>>;

export const STATE_NAMES = ['Running', 'Sleeping', 'Waiting', 'Zombie', 'Other'] as const;
export type StateName = (typeof STATE_NAMES)[number];
export type StateCounts = Record<StateName, number>;

export function zeroStates(): StateCounts {
  return { Running: 0, Sleeping: 0, Waiting: 0, Zombie: 0, Other: 0 };
}

/** process-exporter's mapping of /proc state letters. */
export function stateName(letter: string): StateName {
  switch (letter) {
    case 'R':
      return 'Running';
    case 'S':
      return 'Sleeping';
    case 'D':
      return 'Waiting';
    case 'Z':
      return 'Zombie';
    default:
      return 'Other';
  }
}

/** One process's readings in one scrape; a field the source could not read is undefined. */
export interface ProcessMetrics {
  readonly counters: Counters;
  readonly residentBytes?: number;
  readonly virtualBytes?: number;
  readonly swappedBytes?: number;
  readonly openFds?: number;
  /** The soft limit on open files (Infinity for unlimited). */
  readonly fdLimit?: number;
  readonly numThreads?: number;
  readonly states: StateCounts;
  readonly startTimeSeconds: number;
}

/** Families beyond num_procs, cpu (user), resident memory and start time, which every source gives. */
export type OptionalFamily =
  | 'cpuSystem'
  | 'io'
  | 'pageFaults'
  | 'contextSwitches'
  | 'virtualMemory'
  | 'swappedMemory'
  | 'fds'
  | 'threads'
  | 'states';

export interface Measurements<P> {
  readonly metrics: Map<P, ProcessMetrics>;
  /** Processes with some value left out (e.g. an unreadable io file): process-exporter's partial errors. */
  readonly partialErrors: number;
  /** Processes that could not be read at all, for a reason other than having exited. */
  readonly readErrors: number;
}

export interface Listing<P> {
  readonly processes: readonly P[];
  /** Entries that could not be read for a reason other than having exited. */
  readonly readErrors: number;
}

export interface ProcessSource<P extends ListedProcess = ListedProcess> {
  readonly provides: ReadonlySet<OptionalFamily>;
  /** Every process visible now; rejects when there is no process list at all. */
  list(signal: AbortSignal): Promise<Listing<P>>;
  /** What the rules look at; undefined when the process has exited. */
  attributes(p: P, needs: AttributeNeeds, signal: AbortSignal): Promise<ProcessAttributes | undefined>;
  /** Readings of the tracked processes; one that exited meanwhile is left out, without error. */
  measure(processes: readonly P[], signal: AbortSignal): Promise<Measurements<P>>;
  close?(): void;
}
