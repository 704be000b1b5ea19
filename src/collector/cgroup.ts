/**
 * The containers around the processes we see: each distinct cgroup's limits and usage, named
 * and labelled like cAdvisor's series (label `id` = the cgroup path), from cgroup v1, v2 or a
 * hybrid of both. Parsing and the hierarchy mapping live in src/cgroup.
 */
import { defineFlag } from '../cli/flags.js';
import { desc, type MetricDesc } from '../exposition/model.js';
import { ParsedIfChanged, ReportDecisions, deviceNamer, findCgroups, listHierarchies, startListing } from '../cgroup/discover.js';
import { parseMountinfo } from '../procfs/mountinfo.js';
import { readCgroupStats, type CgroupStats } from '../cgroup/stats.js';
import type { CollectorFactory } from './collector.js';
import type { MetricSink } from './sink.js';
import { mapBounded } from '../lib/concurrency.js';

const PID_MATCH_FLAG = defineFlag({
  name: 'collector.cgroup.pid-match',
  kind: 'regex',
  help: 'Regexp on process command lines (arguments joined by spaces): report only the cgroups of matching processes. Default: every process visible under --path.procfs.',
});
const MAX_CGROUPS_FLAG = defineFlag({
  name: 'collector.cgroup.max-cgroups',
  kind: 'int',
  default: '100',
  min: 1,
  help: 'Maximum number of cgroups reported per scrape (those of the lowest PIDs first).',
});
/** Cgroups read at once (each reads about twenty files in parallel). */
const CONCURRENCY = 8;

const gauge = (name: string, help: string, labels: string[] = []) => desc(name, help, 'gauge', ['id', ...labels]);
const counter = (name: string, help: string, labels: string[] = []) => desc(name, help, 'counter', ['id', ...labels]);

const cpuUsage = counter('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed in seconds.', ['cpu']);
const fsReads = counter('container_fs_reads_bytes_total', 'Cumulative count of bytes read', ['device']);
const fsWrites = counter('container_fs_writes_bytes_total', 'Cumulative count of bytes written', ['device']);

/** cAdvisor reports a memory limit above 2^62 (the kernel's rounded "unlimited") as 0. */
const specMemory = (bytes: number | undefined) => (bytes === undefined ? undefined : bytes > 2 ** 62 ? 0 : bytes);

/** A CFS quota is set: cAdvisor only exports throttling and the quota then. */
const quota = (s: CgroupStats) => s.cpu.quotaMicros;
const whenQuota = (value: (s: CgroupStats) => number | undefined) => (s: CgroupStats) => (quota(s) === undefined ? undefined : value(s));

/** Single-valued series, in cAdvisor's names and HELP, each with where its value comes from. */
const SERIES: ReadonlyArray<readonly [MetricDesc, (s: CgroupStats) => number | undefined]> = [
  [counter('container_cpu_user_seconds_total', 'Cumulative user cpu time consumed in seconds.'), (s) => s.cpu.user],
  [counter('container_cpu_system_seconds_total', 'Cumulative system cpu time consumed in seconds.'), (s) => s.cpu.system],
  [counter('container_cpu_cfs_periods_total', 'Number of elapsed enforcement period intervals.'), whenQuota((s) => s.cpu.periods)],
  [counter('container_cpu_cfs_throttled_periods_total', 'Number of throttled period intervals.'), whenQuota((s) => s.cpu.throttledPeriods)],
  [counter('container_cpu_cfs_throttled_seconds_total', 'Total time duration the container has been throttled.'), whenQuota((s) => s.cpu.throttled)],
  [gauge('container_memory_usage_bytes', 'Current memory usage in bytes, including all memory regardless of when it was accessed'), (s) => s.memory.usage],
  [gauge('container_memory_max_usage_bytes', 'Maximum memory usage recorded in bytes'), (s) => s.memory.maxUsage],
  [gauge('container_memory_working_set_bytes', 'Current working set in bytes.'), (s) => s.memory.workingSet],
  [gauge('container_memory_rss', 'Size of RSS in bytes.'), (s) => s.memory.rss],
  [gauge('container_memory_cache', 'Number of bytes of page cache memory.'), (s) => s.memory.cache],
  [gauge('container_memory_swap', 'Container swap usage in bytes.'), (s) => s.memory.swap],
  [gauge('container_memory_mapped_file', 'Size of memory mapped files in bytes.'), (s) => s.memory.mappedFile],
  [counter('container_memory_failcnt', 'Number of memory usage hits limits'), (s) => s.memory.failcnt],
  [counter('container_memory_events_high_total', 'Cumulative count of memory.high throttle events for the container'), (s) => s.memory.eventsHigh],
  [counter('container_memory_events_max_total', 'Cumulative count of memory.max limit hit events for the container'), (s) => s.memory.eventsMax],
  [counter('container_oom_events_total', 'Count of out of memory events observed for the container'), (s) => s.memory.oomKills],
  [gauge('container_processes', 'Number of processes running inside the container.'), (s) => s.processes],
  [gauge('container_threads', 'Number of threads running inside the container'), (s) => s.pids.current],
  [
    gauge('container_threads_max', 'Maximum number of threads allowed inside the container, infinity if value is zero'),
    (s) => (s.pids.max === Infinity ? 0 : s.pids.max),
  ],
  [gauge('container_spec_cpu_period', 'CPU period of the container.'), (s) => s.cpu.periodMicros],
  [gauge('container_spec_cpu_quota', 'CPU quota of the container.'), quota],
  [gauge('container_spec_cpu_shares', 'CPU share of the container.'), (s) => s.cpu.shares],
  // Ours, not cAdvisor's: the quota as a number of CPUs, what `docker run --cpus` and Kubernetes limits say.
  [
    gauge('container_spec_cpu_limit_cores', 'CPU limit of the container in CPUs (CFS quota / period); absent without a quota.'),
    (s) => (s.cpu.quotaMicros === undefined || !s.cpu.periodMicros ? undefined : s.cpu.quotaMicros / s.cpu.periodMicros),
  ],
  [gauge('container_spec_memory_limit_bytes', 'Memory limit for the container.'), (s) => specMemory(s.memory.limit)],
  [gauge('container_spec_memory_swap_limit_bytes', 'Memory swap limit for the container.'), (s) => specMemory(s.memory.swapLimit)],
  [gauge('container_spec_memory_reservation_limit_bytes', 'Memory reservation limit for the container.'), (s) => specMemory(s.memory.reservation)],
];

function addCgroup(sink: MetricSink, id: string, stats: CgroupStats, devices: readonly string[]): void {
  if (stats.cpu.usage !== undefined) sink.add(cpuUsage, stats.cpu.usage, id, 'total');
  for (const [d, value] of SERIES) {
    const v = value(stats);
    if (v !== undefined) sink.add(d, v, id);
  }
  stats.io.forEach((io, i) => {
    sink.add(fsReads, io.readBytes, id, devices[i] as string);
    sink.add(fsWrites, io.writeBytes, id, devices[i] as string);
  });
}

export const cgroupCollector: CollectorFactory = {
  name: 'cgroup',
  defaultEnabled: true,
  flags: [
    PID_MATCH_FLAG,
    MAX_CGROUPS_FLAG,
  ],
  create: ({ host, host: { paths }, flags, log }) => {
    const options = {
      decisions: new ReportDecisions(host, flags.get(PID_MATCH_FLAG)),
      ownMountinfo: new ParsedIfChanged(parseMountinfo),
      max: flags.get(MAX_CGROUPS_FLAG),
    };
    // Conditions that hold scrape after scrape: said once at warn, then at debug.
    const noticed = new Set<string>();
    const notice = (msg: string, fields: Record<string, unknown>) => {
      log[noticed.has(msg) ? 'debug' : 'warn'](msg, fields);
      noticed.add(msg);
    };
    return {
      async update(sink, signal) {
        const listing = startListing(host, signal);
        const cgroupRoot = paths.sys('fs', 'cgroup');
        const hierarchies = await listHierarchies(host, cgroupRoot, signal);
        const { targets, capped, unreadable } = await findCgroups(host, cgroupRoot, hierarchies, options, listing, signal);
        if (capped) notice(`more than ${options.max} cgroups found; reporting the first ${options.max}`, { flag: `--${MAX_CGROUPS_FLAG.name}` });
        if (unreadable.denied > 0) {
          notice(
            "some processes are in cgroups outside this exporter's cgroup mounts, readable only through /proc/<pid>/root, which is denied: run the exporter as the same user as those processes, or give it CAP_SYS_PTRACE",
            { cgroups: unreadable.denied },
          );
        }
        if (unreadable.unmounted > 0) {
          notice("some processes are in cgroups that neither this exporter's cgroup mounts nor their own mounts hold; they are not reported", {
            cgroups: unreadable.unmounted,
          });
        }
        const nameDevice = deviceNamer(host, signal);
        const read = await mapBounded(targets, CONCURRENCY, async (target) => {
          const stats = await readCgroupStats(host, target, signal);
          return { target, stats, devices: await Promise.all(stats.io.map((io) => nameDevice(io.major, io.minor))) };
        });
        for (const { target, stats, devices } of read) addCgroup(sink, target.id, stats, devices);
      },
    };
  },
};
