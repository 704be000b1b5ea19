/**
 * process-exporter's per-group process metrics (namedprocess_namegroup_*), same names, types,
 * labels and HELP, so that its Grafana dashboard (grafana.com 249) works unchanged. Grouping
 * rules come from `process_names` in --config.file; see src/process/ for how processes are
 * read, matched and accumulated.
 */
import { defineFlag } from '../cli/flags.js';
import { desc, type MetricDesc, type MetricType } from '../exposition/model.js';
import { createProcessSource } from '../process/create-source.js';
import { GroupTracker, type GroupStats } from '../process/groups.js';
import { ProcessMatcher } from '../process/match.js';
import { STATE_NAMES, type OptionalFamily, type ProcessSource } from '../process/source.js';
import type { CollectorContext, CollectorFactory } from './collector.js';
import type { MetricSink } from './sink.js';
import { NoDataError } from '../hostfs/errors.js';

const CHILDREN_FLAG = defineFlag({
  name: 'collector.process_groups.children',
  kind: 'bool',
  default: 'true',
  help: "A process that matches no rule joins the group of its nearest tracked ancestor (process-exporter's -children).",
});

const group = (name: string, help: string, type: MetricType, labels: string[] = []) =>
  desc(`namedprocess_namegroup_${name}`, help, type, ['groupname', ...labels]);

const numProcs = group('num_procs', 'number of processes in this group', 'gauge');
const cpuSeconds = group('cpu_seconds_total', 'Cpu user usage in seconds', 'counter', ['mode']);
const readBytes = group('read_bytes_total', 'number of bytes read by this group', 'counter');
const writeBytes = group('write_bytes_total', 'number of bytes written by this group', 'counter');
const majorFaults = group('major_page_faults_total', 'Major page faults', 'counter');
const minorFaults = group('minor_page_faults_total', 'Minor page faults', 'counter');
const contextSwitches = group('context_switches_total', 'Context switches', 'counter', ['ctxswitchtype']);
const memoryBytes = group('memory_bytes', 'number of bytes of memory in use', 'gauge', ['memtype']);
const openFds = group('open_filedesc', 'number of open file descriptors for this group', 'gauge');
const worstFdRatio = group('worst_fd_ratio', 'the worst (closest to 1) ratio between open fds and max fds among all procs in this group', 'gauge');
const oldestStart = group('oldest_start_time_seconds', 'start time in seconds since 1970/01/01 of oldest process in group', 'gauge');
const numThreads = group('num_threads', 'Number of threads', 'gauge');
// Ours, in process-exporter's style: a server that crashed and came back, or is in a restart loop.
const restarts = group(
  'restarts_total',
  'number of times all processes of this group were replaced by new ones (the group restarted) since the exporter started',
  'counter',
);
const runStart = group(
  'last_start_time_seconds',
  'start time in seconds since 1970/01/01 of the group\'s current run: its oldest process when the group was first seen or last restarted',
  'gauge',
);
const states = group('states', 'Number of processes in states Running, Sleeping, Waiting, Zombie, or Other', 'gauge', ['state']);

const scrapeErrors = desc('namedprocess_scrape_errors', 'general scrape errors: no proc metrics collected during a cycle', 'counter');
const procreadErrors = desc('namedprocess_scrape_procread_errors', "incremented each time a proc's metrics collection fails", 'counter');
const partialErrors = desc(
  'namedprocess_scrape_partial_errors',
  "incremented each time a tracked proc's metrics collection fails partially, e.g. unreadable I/O stats",
  'counter',
);

type Labels = Readonly<Record<string, string>>;

/**
 * The label records of each group's series, kept while the group is reported: a group's labels
 * never change, so its ~25 series do not build them again on every scrape.
 */
class GroupLabels {
  private readonly byGroup = new Map<string, Map<MetricDesc, Labels | Map<string, Labels>>>();

  /** The labels of `group`'s series of `d`, with `extra` as its second label if it has one. */
  of(group: string, d: MetricDesc, extra?: string): Labels {
    let series = this.byGroup.get(group);
    if (!series) this.byGroup.set(group, (series = new Map()));
    let known = series.get(d);
    if (extra === undefined) {
      if (!known) series.set(d, (known = { [d.labelNames[0] as string]: group }));
      return known as Labels;
    }
    if (!known) series.set(d, (known = new Map<string, Labels>()));
    const byExtra = known as Map<string, Labels>;
    let labels = byExtra.get(extra);
    if (!labels) byExtra.set(extra, (labels = { [d.labelNames[0] as string]: group, [d.labelNames[1] as string]: extra }));
    return labels;
  }

  /** Forgets the groups not reported this scrape. */
  retain(groups: ReadonlyMap<string, unknown>): void {
    for (const group of this.byGroup.keys()) if (!groups.has(group)) this.byGroup.delete(group);
  }
}

function addGroup(sink: MetricSink, labels: GroupLabels, name: string, g: GroupStats, provides: ReadonlySet<OptionalFamily>): void {
  const add = (d: MetricDesc, value: number, extra?: string) => sink.addWithLabels(d, labels.of(name, d, extra), value);
  add(numProcs, g.procs);
  add(cpuSeconds, g.counters.cpuUserMs / 1000, 'user');
  if (provides.has('cpuSystem')) add(cpuSeconds, g.counters.cpuSystemMs / 1000, 'system');
  add(memoryBytes, g.residentBytes, 'resident');
  if (provides.has('virtualMemory')) add(memoryBytes, g.virtualBytes, 'virtual');
  if (provides.has('swappedMemory')) add(memoryBytes, g.swappedBytes, 'swapped');
  // process-exporter truncates to whole seconds (time.Unix()).
  add(oldestStart, Math.floor(g.oldestStartTime));
  add(restarts, g.restarts);
  add(runStart, Math.floor(g.runStartTime));
  if (provides.has('fds')) {
    add(openFds, g.openFds);
    add(worstFdRatio, g.worstFdRatio);
  }
  if (provides.has('io')) {
    add(readBytes, g.counters.readBytes);
    add(writeBytes, g.counters.writeBytes);
  }
  if (provides.has('pageFaults')) {
    add(majorFaults, g.counters.majorPageFaults);
    add(minorFaults, g.counters.minorPageFaults);
  }
  if (provides.has('contextSwitches')) {
    add(contextSwitches, g.counters.voluntaryCtxSwitches, 'voluntary');
    add(contextSwitches, g.counters.nonvoluntaryCtxSwitches, 'nonvoluntary');
  }
  if (provides.has('threads')) add(numThreads, g.numThreads);
  if (provides.has('states')) for (const s of STATE_NAMES) add(states, g.states[s], s);
}

/** The collector over a given process source (tests pass fakes; the real one picks by platform). */
export function processGroupsCollectorWith(makeSource: (ctx: CollectorContext) => ProcessSource): CollectorFactory {
  return {
    name: 'process_groups',
    defaultEnabled: true,
    flags: [
      CHILDREN_FLAG,
    ],
    create(ctx) {
      const source = makeSource(ctx);
      let matcher = new ProcessMatcher(ctx.config.current.process_names);
      const tracker = new GroupTracker(matcher, ctx.flags.get(CHILDREN_FLAG));
      let newRules: ProcessMatcher | undefined;
      // Built at once so that a reload's rules are checked now; applied between scrapes.
      ctx.config.onChange((config) => (newRules = new ProcessMatcher(config.process_names)));
      const errors = { scrape: 0, procread: 0, partial: 0 };
      const labels = new GroupLabels();

      const scrape = async (sink: MetricSink, signal: AbortSignal): Promise<void> => {
        if (newRules) {
          matcher = newRules;
          newRules = undefined;
          tracker.useRules(matcher);
        }
        try {
          const listing = await source.list(signal);
          errors.procread += listing.readErrors;
          const tracked = await tracker.classify(listing.processes, (p) => source.attributes(p, matcher.needs, signal));
          const measured = await source.measure([...tracked.keys()], signal);
          errors.procread += measured.readErrors;
          errors.partial += measured.partialErrors;
          const groups = tracker.accumulate(measured.metrics, tracked);
          for (const [name, g] of groups) addGroup(sink, labels, name, g, source.provides);
          labels.retain(groups);
        } catch (err) {
          if (!signal.aborted && !(err instanceof NoDataError)) errors.scrape++;
          throw err;
        } finally {
          sink.add(scrapeErrors, errors.scrape);
          sink.add(procreadErrors, errors.procread);
          sink.add(partialErrors, errors.partial);
        }
      };

      // One scrape at a time: the per-process history must see scrapes in order.
      let previous: Promise<void> = Promise.resolve();
      return {
        update(sink, signal) {
          const run = previous.then(() => {
            signal.throwIfAborted(); // Its deadline passed while an earlier scrape ran.
            return scrape(sink, signal);
          });
          previous = run.catch(() => undefined);
          return run;
        },
        close: () => source.close?.(),
      };
    },
  };
}

export const processGroupsCollector = processGroupsCollectorWith((ctx) => createProcessSource(ctx.host, ctx.log));
