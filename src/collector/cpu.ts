import { desc } from '../exposition/model.js';
import { defineFlag } from '../cli/flags.js';
import { parseText } from '../hostfs/host-fs.js';
import type { Logger } from '../lib/log.js';
import { CPU_TIME_FIELDS, type CpuTimes, parseStat } from '../procfs/stat.js';
import { parseCpuList } from '../sysfs/cpulist.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';
import type { MetricSink } from './sink.js';
import { isNotFound } from '../hostfs/errors.js';

const cpuSeconds = desc('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', 'counter', ['cpu', 'mode']);
const cpuGuestSeconds = desc(
  'node_cpu_guest_seconds_total',
  'Seconds the CPUs spent in guests (VMs) for each mode.',
  'counter',
  ['cpu', 'mode'],
);

const cpuIsolated = desc(
  'node_cpu_isolated',
  'Whether each core is isolated, information from /sys/devices/system/cpu/isolated.',
  'gauge',
  ['cpu'],
);
const coreThrottles = desc('node_cpu_core_throttles_total', 'Number of times this CPU core has been throttled.', 'counter', [
  'package',
  'core',
]);
const packageThrottles = desc('node_cpu_package_throttles_total', 'Number of times this CPU package has been throttled.', 'counter', [
  'package',
]);

/** The `mode` label of node_cpu_seconds_total; each is also the CpuTimes field it reads. */
const MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** An idle counter this far behind the cached one means the CPU went offline and came back. */
const JUMP_BACK_SECONDS = 3;

/**
 * node_exporter's updateCPUStats: the kernel's per-CPU counters can step backwards (hotplug,
 * iowait accounting), which Prometheus would read as counter resets. Keeps the old value of a
 * field that went backwards, starts a CPU over when its idle time fell by JUMP_BACK_SECONDS or
 * more, and forgets CPUs no longer listed. Mutates `cache`.
 */
export function updateCpuCache(cache: Map<number, CpuTimes>, current: ReadonlyMap<number, CpuTimes>, log: Logger): void {
  for (const [cpu, now] of current) {
    let cached = cache.get(cpu) ?? zeroTimes();
    if (cached.idle - now.idle >= JUMP_BACK_SECONDS) {
      log.debug('CPU Idle counter jumped backwards more than 3.000000 seconds, possible hotplug event, resetting CPU stats', {
        cpu,
        old_value: cached.idle,
        new_value: now.idle,
      });
      cached = zeroTimes();
    }
    cache.set(cpu, cached);
    for (const field of CPU_TIME_FIELDS) {
      if (now[field] >= cached[field]) cached[field] = now[field];
      else log.debug(`CPU ${field} counter jumped backwards`, { cpu, old_value: cached[field], new_value: now[field] });
    }
  }
  for (const cpu of cache.keys()) {
    if (!current.has(cpu)) cache.delete(cpu);
  }
}

function zeroTimes(): CpuTimes {
  return Object.fromEntries(CPU_TIME_FIELDS.map((f) => [f, 0])) as CpuTimes;
}

const GUEST_FLAG = defineFlag({ name: 'collector.cpu.guest', help: 'Enables metric node_cpu_guest_seconds_total', kind: 'bool', default: 'true' });

export const cpuCollector: CollectorFactory = {
  name: 'cpu',
  defaultEnabled: true,
  flags: [GUEST_FLAG],
  create: ({ host, host: { paths }, flags, log }) => {
    const withGuest = flags.get(GUEST_FLAG);
    // Survives between scrapes: the guard compares each scrape with the values last served.
    const cache = new Map<number, CpuTimes>();
    return {
      async update(sink, signal) {
        const stat = await host.parseFile(paths.proc('stat'), parseStat, signal);
        updateCpuCache(cache, stat.cpus, log);
        for (const [cpu, times] of cache) {
          const label = String(cpu);
          for (const mode of MODES) sink.add(cpuSeconds, times[mode], label, mode);
          if (withGuest) {
            // Guest time is also counted in user and nice; it is exported separately.
            sink.add(cpuGuestSeconds, times.guest, label, 'user');
            sink.add(cpuGuestSeconds, times.guestNice, label, 'nice');
          }
        }
        await addIsolated(sink, host, signal);
        await addThermalThrottles(sink, host, log, signal);
      },
    };
  },
};

async function addIsolated(sink: MetricSink, host: HostFs, signal: AbortSignal): Promise<void> {
  const file = host.paths.sys('devices/system/cpu/isolated');
  const text = await host.readTextIfExists(file, signal);
  if (text === undefined) return;
  for (const cpu of parseText(file, text, parseCpuList)) sink.add(cpuIsolated, 1, String(cpu));
}

/**
 * Throttle counts from sysfs, read once per core and once per package, since every CPU of a
 * core (and of a package) shows the same counter. Some CPUs have only core counters.
 */
async function addThermalThrottles(sink: MetricSink, host: HostFs, log: Logger, signal: AbortSignal): Promise<void> {
  let entries: string[];
  try {
    entries = await host.listDir(host.paths.sys('devices/system/cpu'));
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  const byPackage = new Map<number, number>();
  const byCore = new Map<string, { pkg: number; core: number; count: number }>();
  for (const cpu of entries.filter((e) => /^cpu\d+$/.test(e)).sort()) {
    const dir = host.paths.sys('devices/system/cpu', cpu);
    const pkg = await host.readUintIfExists(`${dir}/topology/physical_package_id`, signal);
    const core = await host.readUintIfExists(`${dir}/topology/core_id`, signal);
    if (pkg === undefined || core === undefined) {
      log.debug('CPU is missing physical_package_id or core_id', { cpu });
      continue;
    }
    const coreKey = `${pkg}/${core}`;
    if (!byCore.has(coreKey)) {
      const count = await host.readUintIfExists(`${dir}/thermal_throttle/core_throttle_count`, signal);
      if (count !== undefined) byCore.set(coreKey, { pkg, core, count });
    }
    if (!byPackage.has(pkg)) {
      const count = await host.readUintIfExists(`${dir}/thermal_throttle/package_throttle_count`, signal);
      if (count !== undefined) byPackage.set(pkg, count);
    }
  }
  for (const [pkg, count] of byPackage) sink.add(packageThrottles, count, String(pkg));
  for (const { pkg, core, count } of byCore.values()) sink.add(coreThrottles, count, String(pkg), String(core));
}
