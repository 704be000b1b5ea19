import { desc } from '../exposition/model.js';
import { parseFile } from '../io.js';
import type { Logger } from '../log.js';
import { CPU_TIME_FIELDS, type CpuTimes, parseStat } from '../procfs/stat.js';
import type { CollectorFactory } from './collector.js';

const cpuSeconds = desc('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', 'counter', ['cpu', 'mode']);
const cpuGuestSeconds = desc(
  'node_cpu_guest_seconds_total',
  'Seconds the CPUs spent in guests (VMs) for each mode.',
  'counter',
  ['cpu', 'mode'],
);

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

export const cpuCollector: CollectorFactory = {
  name: 'cpu',
  defaultEnabled: true,
  flags: [{ name: 'collector.cpu.guest', help: 'Enables metric node_cpu_guest_seconds_total', kind: 'bool', default: 'true' }],
  create: ({ paths, flags, log }) => {
    const withGuest = flags.bool('collector.cpu.guest');
    // Survives between scrapes: the guard compares each scrape with the values last served.
    const cache = new Map<number, CpuTimes>();
    return {
      async update(sink, signal) {
        const stat = await parseFile(paths.proc('stat'), parseStat, signal);
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
      },
    };
  },
};
