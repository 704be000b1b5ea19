/**
 * Which processes are tracked in which group, and the per-group totals (process-exporter's
 * proc/tracker.go and proc/grouper.go, same rules):
 * - A process is matched once, when first seen (and again here when its comm changes, i.e.
 *   after an exec). With `children`, an unmatched process whose parent is tracked joins the
 *   parent's group.
 * - Counters are kept per process (last value seen) and the group adds the deltas, so a
 *   process that exits leaves its share in the group's total and counters never go back.
 * - Processes already running at the first scrape count from that scrape on; processes that
 *   start later count from their start (as process-exporter does for its start time), so the
 *   exporter's first scrape does not report a burst of lifetime CPU.
 * - A group with no process left is forgotten (process-exporter's -remove-empty-groups): no
 *   label set outlives its processes. If it comes back, its counters start again from 0.
 * - A config reload matches every process again with the new rules, at the next scrape. Totals
 *   are kept per group name (as process-exporter keeps them), so a group that still exists
 *   counts on; each process keeps its last readings, so only its usage since the scrape before
 *   counts in its (maybe new) group. A process that no rule tracked before counts from the
 *   reload on, as if it had been there at the first scrape.
 * - Ours, not process-exporter's: a group restarts when none of the processes it had at one
 *   scrape is left at a later scrape where it has processes (they all exited, new ones came, in
 *   one scrape interval or across an outage). Its restart count and the start of its current
 *   run are remembered across outages, so a crash loop shows as a rising counter.
 */
import { mapBounded } from '../lib/concurrency.js';
import type { ProcessAttributes, ProcessMatcher } from './match.js';
import {
  COUNTER_NAMES,
  type Counters,
  type CounterName,
  type ListedProcess,
  type ProcessMetrics,
  STATE_NAMES,
  type StateCounts,
  zeroStates,
} from './source.js';

interface TrackedState {
  /** undefined: seen and not tracked (ignored until it exits or execs). */
  readonly group: string | undefined;
  readonly comm: string;
  /** The rules it was matched with (a count of rule changes); other rules match it again. */
  readonly rules: number;
  /** Last counter values, for deltas. */
  last: Counters;
  /** A process that started after the first scrape contributes its counts from zero. */
  readonly countFromStart: boolean;
}

/** One group's series for one scrape. */
export interface GroupStats {
  procs: number;
  counters: Record<CounterName, number>;
  residentBytes: number;
  virtualBytes: number;
  swappedBytes: number;
  openFds: number;
  worstFdRatio: number;
  numThreads: number;
  states: StateCounts;
  /** Seconds since the epoch, of the group's oldest process. */
  oldestStartTime: number;
  /** Times the group restarted since the exporter started (see above). */
  restarts: number;
  /** Seconds since the epoch: the oldest start among the processes the group had when its current run was first seen. */
  runStartTime: number;
}

/** What is remembered of a group between scrapes, through outages, to tell a restart. */
interface GroupRun {
  /** The group's processes at the last scrape that saw it. */
  ids: ReadonlySet<string>;
  startTime: number;
  restarts: number;
  /** The tracker's scrape count when the group was last seen, to forget the longest-gone first. */
  lastSeen: number;
}

/** Groups remembered while they have no process (for their restart counts); the longest-gone are forgotten first. */
const MAX_ABSENT_GROUPS = 1024;

function zeroCounters(): Record<CounterName, number> {
  return {
    cpuUserMs: 0,
    cpuSystemMs: 0,
    readBytes: 0,
    writeBytes: 0,
    majorPageFaults: 0,
    minorPageFaults: 0,
    voluntaryCtxSwitches: 0,
    nonvoluntaryCtxSwitches: 0,
  };
}

function emptyGroup(): GroupStats {
  return {
    procs: 0,
    counters: zeroCounters(),
    residentBytes: 0,
    virtualBytes: 0,
    swappedBytes: 0,
    openFds: 0,
    worstFdRatio: 0,
    numThreads: 0,
    states: zeroStates(),
    oldestStartTime: Infinity,
    restarts: 0,
    runStartTime: Infinity,
  };
}

/** How many processes' attributes are read at once. */
const ATTRIBUTE_CONCURRENCY = 32;

export class GroupTracker {
  private readonly processes = new Map<string, TrackedState>();
  private readonly totals = new Map<string, Record<CounterName, number>>();
  /** A reload is not a restart of the processes. */
  private readonly runs = new Map<string, GroupRun>();
  private scrapes = 0;
  private rules = 0;
  private firstScrapeDone = false;

  constructor(
    private matcher: ProcessMatcher,
    private readonly trackChildren: boolean,
  ) {}

  /** New rules (a config reload): every process is matched again at the next scrape; see above. */
  useRules(matcher: ProcessMatcher): void {
    this.matcher = matcher;
    this.rules++;
  }

  /**
   * Decides the group of every listed process not decided yet, forgets processes that are gone,
   * and returns the tracked ones with their group.
   */
  async classify<P extends ListedProcess>(
    listed: readonly P[],
    attributesOf: (p: P) => Promise<ProcessAttributes | undefined>,
  ): Promise<Map<P, string>> {
    const current = new Set<string>();
    for (const p of listed) current.add(p.id);
    for (const id of this.processes.keys()) if (!current.has(id)) this.processes.delete(id);

    const undecided = listed.filter((p) => {
      const state = this.processes.get(p.id);
      return state?.comm !== p.comm || state.rules !== this.rules;
    });
    const attributes = await mapBounded(undecided, ATTRIBUTE_CONCURRENCY, attributesOf);
    // From here on nothing waits, so an aborted scrape cannot leave the decisions half made.
    const previous = new Map<string, TrackedState>();
    const unmatched = new Map<string, P>();
    const matched: [P, string][] = [];
    undecided.forEach((p, i) => {
      const attrs = attributes[i];
      if (attrs === undefined) return; // Exited (or unreadable) meanwhile: decided next time.
      const state = this.processes.get(p.id);
      if (state) previous.set(p.id, state);
      this.processes.delete(p.id);
      const group = this.matcher.match(attrs);
      if (group === undefined) unmatched.set(p.id, p);
      else matched.push([p, group]);
    });
    for (const [p, group] of matched) this.decide(p, group, previous.get(p.id));
    if (this.trackChildren && unmatched.size > 0) {
      const byPid = new Map<number, P>();
      for (const p of listed) byPid.set(p.pid, p);
      for (const p of unmatched.values()) this.inheritGroup(p, byPid, unmatched, previous, new Set());
    } else {
      for (const p of unmatched.values()) this.decide(p, undefined, previous.get(p.id));
    }

    const tracked = new Map<P, string>();
    for (const p of listed) {
      const group = this.processes.get(p.id)?.group;
      if (group !== undefined) tracked.set(p, group);
    }
    return tracked;
  }

  /** process-exporter's checkAncestry: the group of the nearest tracked ancestor, if any. */
  private inheritGroup<P extends ListedProcess>(
    p: P,
    byPid: ReadonlyMap<number, P>,
    unmatched: ReadonlyMap<string, P>,
    previous: ReadonlyMap<string, TrackedState>,
    visiting: Set<string>,
  ): string | undefined {
    const decided = this.processes.get(p.id);
    if (decided) return decided.group;
    visiting.add(p.id);
    const parent = byPid.get(p.ppid);
    let group: string | undefined;
    if (parent && !visiting.has(parent.id)) {
      const parentState = this.processes.get(parent.id);
      if (parentState) group = parentState.group;
      else if (unmatched.has(parent.id)) group = this.inheritGroup(parent, byPid, unmatched, previous, visiting);
    }
    this.decide(p, group, previous.get(p.id));
    return group;
  }

  private decide(p: ListedProcess, group: string | undefined, previous: TrackedState | undefined): void {
    // Untracked until new rules took it: it counts from now on, whatever it did before.
    const fresh = previous === undefined || (previous.rules !== this.rules && previous.group === undefined);
    this.processes.set(p.id, {
      group,
      comm: p.comm,
      rules: this.rules,
      // After an exec or a reload the process keeps its counters: only what it does from now on is new.
      last: fresh ? {} : previous.last,
      countFromStart: previous === undefined ? this.firstScrapeDone : previous.countFromStart && !fresh,
    });
  }

  /**
   * Adds this scrape's readings to the group totals and returns every group that has a process
   * now. `measured` holds the tracked processes that could be read, with their group.
   */
  accumulate<P extends ListedProcess>(measured: ReadonlyMap<P, ProcessMetrics>, groupOf: ReadonlyMap<P, string>): Map<string, GroupStats> {
    const groups = new Map<string, GroupStats>();
    const members = new Map<string, Set<string>>();
    for (const [p, metrics] of measured) {
      const { id } = p;
      const group = groupOf.get(p) as string;
      const state = this.processes.get(id);
      if (!state) continue;
      let stats = groups.get(group);
      if (!stats) groups.set(group, (stats = emptyGroup()));
      this.addDeltas(state, metrics.counters, stats.counters);
      addGauges(stats, metrics);
      let ids = members.get(group);
      if (!ids) members.set(group, (ids = new Set()));
      ids.add(id);
    }
    this.scrapes++;
    for (const [group, stats] of groups) this.trackRun(group, members.get(group) as Set<string>, stats);
    this.forgetLongGone(groups);
    for (const [group, stats] of groups) {
      const total = this.totals.get(group) ?? zeroCounters();
      for (const c of COUNTER_NAMES) total[c] += stats.counters[c];
      this.totals.set(group, total);
      stats.counters = { ...total };
    }
    for (const group of this.totals.keys()) if (!groups.has(group)) this.totals.delete(group);
    this.firstScrapeDone = true;
    return groups;
  }

  /** Tells whether the group restarted since it was last seen, and records its current run. */
  private trackRun(group: string, ids: Set<string>, stats: GroupStats): void {
    const run = this.runs.get(group);
    if (!run) {
      this.runs.set(group, { ids, startTime: stats.oldestStartTime, restarts: 0, lastSeen: this.scrapes });
    } else {
      if (!someIn(run.ids, ids)) {
        run.restarts++;
        run.startTime = stats.oldestStartTime;
      }
      run.ids = ids;
      run.lastSeen = this.scrapes;
    }
    const current = this.runs.get(group) as GroupRun;
    stats.restarts = current.restarts;
    stats.runStartTime = current.startTime;
  }

  private forgetLongGone(present: ReadonlyMap<string, GroupStats>): void {
    const absent = this.runs.size - present.size;
    if (absent <= MAX_ABSENT_GROUPS) return;
    const gone = [...this.runs].filter(([group]) => !present.has(group)).sort((a, b) => a[1].lastSeen - b[1].lastSeen);
    for (const [group] of gone.slice(0, absent - MAX_ABSENT_GROUPS)) this.runs.delete(group);
  }

  private addDeltas(state: TrackedState, current: Counters, into: Record<CounterName, number>): void {
    for (const c of COUNTER_NAMES) {
      const now = current[c];
      if (now === undefined) continue; // Unreadable this time: the last value stays the base.
      const before = state.last[c];
      const delta = before === undefined ? (state.countFromStart ? now : 0) : now - before;
      // A sum over threads drops when a thread exits; a counter never goes back.
      if (delta > 0) into[c] += delta;
      state.last[c] = now;
    }
  }
}

function someIn(these: ReadonlySet<string>, those: ReadonlySet<string>): boolean {
  for (const id of these) if (those.has(id)) return true;
  return false;
}

function addGauges(stats: GroupStats, m: ProcessMetrics): void {
  stats.procs++;
  stats.residentBytes += m.residentBytes ?? 0;
  stats.virtualBytes += m.virtualBytes ?? 0;
  stats.swappedBytes += m.swappedBytes ?? 0;
  stats.numThreads += m.numThreads ?? 0;
  if (m.openFds !== undefined) {
    stats.openFds += m.openFds;
    if (m.fdLimit !== undefined && m.fdLimit > 0) stats.worstFdRatio = Math.max(stats.worstFdRatio, m.openFds / m.fdLimit);
  }
  for (const s of STATE_NAMES) stats.states[s] += m.states[s];
  stats.oldestStartTime = Math.min(stats.oldestStartTime, m.startTimeSeconds);
}
