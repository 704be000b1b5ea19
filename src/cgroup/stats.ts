/**
 * Reads one cgroup's usage and limits into a version-neutral record, with cAdvisor's (that is,
 * libcontainer's) choice of source for each value. A missing file leaves its value undefined:
 * controllers can be absent, and older kernels lack some files (memory.peak, oom_kill, ...).
 */
import type { HostFs } from '../hostfs/host-fs.js';
import { joinPath } from '../hostfs/paths.js';
import {
  cpuWeightToShares,
  parseBlkioServiceBytes,
  parseCfsQuota,
  parseCount,
  parseCpuMax,
  parseIoStat,
  parseKeyedValues,
  parseLimit,
  parseProcsCount,
  type DeviceIo,
} from './files.js';
import type { CgroupDir, CgroupTarget } from './layout.js';

/** Byte values; limits are Infinity when there is none. */
export interface MemoryStats {
  usage?: number;
  maxUsage?: number;
  workingSet?: number;
  rss?: number;
  cache?: number;
  swap?: number;
  mappedFile?: number;
  /** v1 only: times usage hit the limit. */
  failcnt?: number;
  oomKills?: number;
  /** v2 only: memory.events high and max. */
  eventsHigh?: number;
  eventsMax?: number;
  limit?: number;
  swapLimit?: number;
  reservation?: number;
}

/** Times in seconds; quota and period in microseconds, as cAdvisor exports them. */
export interface CpuStats {
  usage?: number;
  user?: number;
  system?: number;
  periods?: number;
  throttledPeriods?: number;
  throttled?: number;
  /** Undefined when there is no quota. */
  quotaMicros?: number;
  periodMicros?: number;
  shares?: number;
}

export interface PidsStats {
  current?: number;
  /** Infinity when unlimited. */
  max?: number;
}

export interface CgroupStats {
  readonly memory: MemoryStats;
  readonly cpu: CpuStats;
  readonly pids: PidsStats;
  readonly io: readonly DeviceIo[];
  /** Processes directly in the cgroup (cgroup.procs), as cAdvisor's container_processes. */
  readonly processes?: number;
}

type Reader = <T>(dir: CgroupDir, file: string, parse: (text: string) => T) => Promise<T | undefined>;

const nanosToSeconds = (ns: number) => ns / 1e9;
/** libcontainer turns microseconds into nanoseconds before cAdvisor divides, so do the same for identical floats. */
const microsToSeconds = (us: number) => (us * 1000) / 1e9;
/** cpuacct.stat counts USER_HZ ticks, 100 a second on Linux whatever the kernel's HZ. */
const ticksToSeconds = (ticks: number) => (ticks * 1e7) / 1e9;

/** cAdvisor's working set: usage less inactive file pages, never below 0. */
function workingSet(usage: number | undefined, inactiveFile: number | undefined): number | undefined {
  if (usage === undefined) return undefined;
  return inactiveFile === undefined ? usage : Math.max(0, usage - inactiveFile);
}

async function memoryV1(read: Reader, dir: CgroupDir): Promise<MemoryStats> {
  const [usage, maxUsage, limit, swapLimit, reservation, failcnt, oomControl, stat, useHierarchy] = await Promise.all([
    read(dir, 'memory.usage_in_bytes', parseCount),
    read(dir, 'memory.max_usage_in_bytes', parseCount),
    read(dir, 'memory.limit_in_bytes', parseCount),
    read(dir, 'memory.memsw.limit_in_bytes', parseCount),
    read(dir, 'memory.soft_limit_in_bytes', parseCount),
    read(dir, 'memory.failcnt', parseCount),
    read(dir, 'memory.oom_control', parseKeyedValues),
    read(dir, 'memory.stat', parseKeyedValues),
    read(dir, 'memory.use_hierarchy', parseCount),
  ]);
  // With use_hierarchy (always on since Linux 6.x), the total_* lines include child cgroups.
  const prefix = useHierarchy === 0 ? '' : 'total_';
  return {
    usage,
    maxUsage,
    workingSet: workingSet(usage, stat?.get('total_inactive_file')),
    rss: stat?.get(`${prefix}rss`),
    cache: stat?.get(`${prefix}cache`),
    swap: stat?.get(`${prefix}swap`),
    mappedFile: stat?.get(`${prefix}mapped_file`),
    failcnt,
    oomKills: oomControl?.get('oom_kill'),
    limit,
    swapLimit,
    reservation,
  };
}

async function memoryV2(read: Reader, dir: CgroupDir): Promise<MemoryStats> {
  const [usage, maxUsage, limit, swapLimit, reservation, swap, events, stat] = await Promise.all([
    read(dir, 'memory.current', parseCount),
    read(dir, 'memory.peak', parseCount),
    read(dir, 'memory.max', parseLimit),
    read(dir, 'memory.swap.max', parseLimit),
    read(dir, 'memory.min', parseCount),
    read(dir, 'memory.swap.current', parseCount),
    read(dir, 'memory.events', parseKeyedValues),
    read(dir, 'memory.stat', parseKeyedValues),
  ]);
  return {
    usage,
    maxUsage,
    workingSet: workingSet(usage, stat?.get('inactive_file')),
    rss: stat?.get('anon'),
    cache: stat?.get('file'),
    swap,
    mappedFile: stat?.get('file_mapped'),
    oomKills: events?.get('oom_kill'),
    eventsHigh: events?.get('high'),
    eventsMax: events?.get('max'),
    limit,
    swapLimit,
    reservation,
  };
}

/** v1 cpu controller: CFS bandwidth settings and throttling. */
async function cpuLimitsV1(read: Reader, dir: CgroupDir): Promise<CpuStats> {
  const [quotaMicros, periodMicros, shares, stat] = await Promise.all([
    read(dir, 'cpu.cfs_quota_us', parseCfsQuota),
    read(dir, 'cpu.cfs_period_us', parseCount),
    read(dir, 'cpu.shares', parseCount),
    read(dir, 'cpu.stat', parseKeyedValues),
  ]);
  const throttledNanos = stat?.get('throttled_time');
  return {
    quotaMicros,
    periodMicros,
    shares,
    periods: stat?.get('nr_periods'),
    throttledPeriods: stat?.get('nr_throttled'),
    throttled: throttledNanos === undefined ? undefined : nanosToSeconds(throttledNanos),
  };
}

/** v1 cpuacct controller: usage; user/system from cpuacct.stat as libcontainer, else the ns files. */
async function cpuUsageV1(read: Reader, dir: CgroupDir): Promise<CpuStats> {
  const [usage, stat] = await Promise.all([read(dir, 'cpuacct.usage', parseCount), read(dir, 'cpuacct.stat', parseKeyedValues)]);
  let user = stat?.get('user');
  let system = stat?.get('system');
  if (user !== undefined && system !== undefined) {
    return { usage: usage === undefined ? undefined : nanosToSeconds(usage), user: ticksToSeconds(user), system: ticksToSeconds(system) };
  }
  [user, system] = await Promise.all([read(dir, 'cpuacct.usage_user', parseCount), read(dir, 'cpuacct.usage_sys', parseCount)]);
  const seconds = (ns: number | undefined) => (ns === undefined ? undefined : nanosToSeconds(ns));
  return { usage: seconds(usage), user: seconds(user), system: seconds(system) };
}

/** v2: one cpu.stat for both; limits only where the cpu controller is enabled (cpu.max, cpu.weight). */
async function cpuV2(read: Reader, dir: CgroupDir): Promise<{ limits: CpuStats; usage: CpuStats }> {
  const [stat, max, weight] = await Promise.all([
    read(dir, 'cpu.stat', parseKeyedValues),
    read(dir, 'cpu.max', parseCpuMax),
    read(dir, 'cpu.weight', parseCount),
  ]);
  const seconds = (key: string) => {
    const us = stat?.get(key);
    return us === undefined ? undefined : microsToSeconds(us);
  };
  return {
    limits: {
      quotaMicros: max?.quotaMicros,
      periodMicros: max?.periodMicros,
      shares: weight === undefined ? undefined : cpuWeightToShares(weight),
      periods: stat?.get('nr_periods'),
      throttledPeriods: stat?.get('nr_throttled'),
      throttled: seconds('throttled_usec'),
    },
    usage: { usage: seconds('usage_usec'), user: seconds('user_usec'), system: seconds('system_usec') },
  };
}

async function readCpu(read: Reader, t: CgroupTarget): Promise<CpuStats> {
  const { cpu, cpuacct } = t.dirs;
  const v2Dir = cpu?.version === 2 ? cpu : cpuacct?.version === 2 ? cpuacct : undefined;
  const [limitsV1, usageV1, v2] = await Promise.all([
    cpu?.version === 1 ? cpuLimitsV1(read, cpu) : undefined,
    cpuacct?.version === 1 ? cpuUsageV1(read, cpuacct) : undefined,
    v2Dir ? cpuV2(read, v2Dir) : undefined,
  ]);
  return { ...(limitsV1 ?? (cpu ? v2?.limits : undefined)), ...(usageV1 ?? (cpuacct ? v2?.usage : undefined)) };
}

/** The first of libcontainer's blkio sources that has devices: BFQ, CFQ, then the throttle layer. */
const BLKIO_SERVICE_BYTES = [
  'blkio.bfq.io_service_bytes_recursive',
  'blkio.io_service_bytes_recursive',
  'blkio.throttle.io_service_bytes_recursive',
];

async function readIo(read: Reader, dir: CgroupDir | undefined): Promise<readonly DeviceIo[]> {
  if (!dir) return [];
  if (dir.version === 2) return (await read(dir, 'io.stat', parseIoStat)) ?? [];
  for (const file of BLKIO_SERVICE_BYTES) {
    const devices = await read(dir, file, parseBlkioServiceBytes);
    if (devices && devices.length > 0) return devices;
  }
  return [];
}

async function readPids(read: Reader, dir: CgroupDir | undefined): Promise<PidsStats> {
  if (!dir) return {};
  const [current, max] = await Promise.all([read(dir, 'pids.current', parseCount), read(dir, 'pids.max', parseLimit)]);
  return { current, max };
}

/** Reads a cgroup's files from the directories the target names. */
export async function readCgroupStats(host: HostFs, t: CgroupTarget, signal?: AbortSignal): Promise<CgroupStats> {
  const read: Reader = (dir, file, parse) => host.parseFileIfExists(joinPath(dir.dir, file), parse, signal);
  const { memory } = t.dirs;
  const [memoryStats, cpu, pids, io, processes] = await Promise.all([
    memory ? (memory.version === 1 ? memoryV1(read, memory) : memoryV2(read, memory)) : {},
    readCpu(read, t),
    readPids(read, t.dirs.pids),
    readIo(read, t.dirs.blkio),
    read(t.home, 'cgroup.procs', parseProcsCount),
  ]);
  return processes === undefined ? { memory: memoryStats, cpu, pids, io } : { memory: memoryStats, cpu, pids, io, processes };
}
