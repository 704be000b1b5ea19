import { desc } from '../exposition/model.js';
import { parseSchedstat } from '../procfs/schedstat.js';
import type { CollectorFactory } from './collector.js';

const running = desc('node_schedstat_running_seconds_total', 'Number of seconds CPU spent running a process.', 'counter', ['cpu']);
const waiting = desc('node_schedstat_waiting_seconds_total', 'Number of seconds spent by processing waiting for this CPU.', 'counter', ['cpu']);
const timeslices = desc('node_schedstat_timeslices_total', 'Number of timeslices executed by CPU.', 'counter', ['cpu']);

const NS_PER_SECOND = 1e9;

/** /proc/schedstat exists only with CONFIG_SCHEDSTATS; without it, NoDataError as in node_exporter. */
export const schedstatCollector: CollectorFactory = {
  name: 'schedstat',
  defaultEnabled: true,
  create: ({ host, host: { paths } }) => ({
    async update(sink, signal) {
      for (const cpu of await host.parseFileOrNoData(paths.proc('schedstat'), parseSchedstat, signal)) {
        sink.add(running, cpu.runningNanoseconds / NS_PER_SECOND, cpu.cpu);
        sink.add(waiting, cpu.waitingNanoseconds / NS_PER_SECOND, cpu.cpu);
        sink.add(timeslices, cpu.timeslices, cpu.cpu);
      }
    },
  }),
};
