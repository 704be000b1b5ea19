import { desc, type MetricDesc } from '../exposition/model.js';
import { defineFlag } from '../cli/flags.js';
import { type ProcStat, SOFTIRQ_VECTORS, parseStat } from '../procfs/stat.js';
import type { CollectorFactory } from './collector.js';

const singleValueMetrics: ReadonlyArray<[MetricDesc, (stat: ProcStat) => number | undefined]> = [
  [desc('node_intr_total', 'Total number of interrupts serviced.', 'counter'), (s) => s.interrupts],
  [desc('node_context_switches_total', 'Total number of context switches.', 'counter'), (s) => s.contextSwitches],
  [desc('node_forks_total', 'Total number of forks.', 'counter'), (s) => s.forks],
  [desc('node_boot_time_seconds', 'Node boot time, in unixtime.', 'gauge'), (s) => s.bootTime],
  [desc('node_procs_running', 'Number of processes in runnable state.', 'gauge'), (s) => s.procsRunning],
  [desc('node_procs_blocked', 'Number of processes blocked waiting for I/O to complete.', 'gauge'), (s) => s.procsBlocked],
];
const softirqs = desc('node_softirqs_total', 'Number of softirq calls.', 'counter', ['vector']);

const SOFTIRQ_FLAG = defineFlag({ name: 'collector.stat.softirq', help: 'Export softirq calls per vector', kind: 'bool', default: 'false' });

export const statCollector: CollectorFactory = {
  name: 'stat',
  defaultEnabled: true,
  flags: [SOFTIRQ_FLAG],
  create: ({ host, host: { paths }, flags }) => {
    const withSoftirqs = flags.get(SOFTIRQ_FLAG);
    return {
      async update(sink, signal) {
        const stat = await host.parseFile(paths.proc('stat'), parseStat, signal);
        // A line the kernel does not print gives no series (node_exporter would report 0).
        for (const [metric, valueOf] of singleValueMetrics) {
          const value = valueOf(stat);
          if (value !== undefined) sink.add(metric, value);
        }
        if (withSoftirqs && stat.softirqs) {
          for (const vector of SOFTIRQ_VECTORS) sink.add(softirqs, stat.softirqs[vector], vector);
        }
      },
    };
  },
};
