import { desc } from '../exposition/model.js';
import { parseLoadavg } from '../procfs/loadavg.js';
import type { CollectorFactory } from './collector.js';

const load1 = desc('node_load1', '1m load average.', 'gauge');
const load5 = desc('node_load5', '5m load average.', 'gauge');
const load15 = desc('node_load15', '15m load average.', 'gauge');

export const loadavgCollector: CollectorFactory = {
  name: 'loadavg',
  defaultEnabled: true,
  create: ({ host, host: { paths } }) => ({
    async update(sink, signal) {
      const load = await host.parseFile(paths.proc('loadavg'), parseLoadavg, signal);
      sink.add(load1, load.load1);
      sink.add(load5, load.load5);
      sink.add(load15, load.load15);
    },
  }),
};
