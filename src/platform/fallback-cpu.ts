/**
 * cpu on macOS/Windows: node_cpu_seconds_total from os.cpus(), read at scrape time because it
 * is a system call (host_processor_info, NtQuerySystemInformation) and starts no process.
 */
import type { CollectorFactory } from '../collector/collector.js';
import { desc } from '../exposition/model.js';
import type { FallbackDeps } from './system-info.js';
import { NoDataError } from '../hostfs/errors.js';

const cpuSeconds = desc('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', 'counter', ['cpu', 'mode']);

/** os.cpus() times field → mode label. node_exporter on macOS has these four modes. */
const MODES = [
  ['user', 'user'],
  ['nice', 'nice'],
  ['sys', 'system'],
  ['idle', 'idle'],
] as const;

export function fallbackCpuCollector(deps: Pick<FallbackDeps, 'os' | 'platform'>): CollectorFactory {
  // Only Windows fills in interrupt time; macOS reports 0 for it.
  const modes = deps.platform === 'win32' ? [...MODES, ['irq', 'irq'] as const] : MODES;
  return {
    name: 'cpu',
    defaultEnabled: true,
    create: () => ({
      async update(sink) {
        const cpus = deps.os.cpus();
        if (cpus.length === 0) throw new NoDataError('os.cpus() lists no CPUs');
        cpus.forEach(({ times }, cpu) => {
          // libuv reports milliseconds.
          for (const [field, mode] of modes) sink.add(cpuSeconds, times[field] / 1000, String(cpu), mode);
        });
      },
    }),
  };
}
