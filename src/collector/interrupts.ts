import { desc } from '../exposition/model.js';
import { defineFlag } from '../cli/flags.js';
import { parseInterrupts } from '../procfs/interrupts.js';
import type { CollectorFactory } from './collector.js';
import { filterFlags, filterFromFlags } from './device-filter.js';

const ZEROS_FLAG = defineFlag({ name: 'collector.interrupts.include-zeros', kind: 'bool', default: 'true', help: 'Include interrupts that have a zero value' });

const interruptsTotal = desc('node_interrupts_total', 'Interrupt details.', 'counter', ['cpu', 'type', 'info', 'devices']);

/**
 * node_interrupts_total{cpu,type,info,devices}. `cpu` is the column index, not the N of the
 * header's "CPUn" (they differ when CPUs are offline), as in node_exporter. The name filter and
 * include-zeros came in node_exporter 1.9; the filter matches "name;info;devices".
 */
const NAME_FLAGS = filterFlags('collector.interrupts.name', 'interrupts name');
export const interruptsCollector: CollectorFactory = {
  name: 'interrupts',
  defaultEnabled: false,
  flags: [
    ...NAME_FLAGS,
    ZEROS_FLAG,
  ],
  create: ({ host, host: { paths }, flags }) => {
    const names = filterFromFlags(flags, NAME_FLAGS);
    const includeZeros = flags.get(ZEROS_FLAG);
    return {
      async update(sink, signal) {
        for (const { name, info, devices, counts } of await host.parseFileOrNoData(paths.proc('interrupts'), parseInterrupts, signal)) {
          if (names.ignored(`${name};${info};${devices}`)) continue;
          counts.forEach((count, cpu) => {
            if (includeZeros || count !== 0) sink.add(interruptsTotal, count, String(cpu), name, info, devices);
          });
        }
      },
    };
  },
};
