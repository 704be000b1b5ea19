import { desc, type MetricDesc } from '../exposition/model.js';
import { parseSoftnet, type SoftnetRow } from '../procfs/softnet.js';
import type { CollectorFactory } from './collector.js';

const counter = (name: string, help: string) => desc(`node_softnet_${name}`, help, 'counter', ['cpu']);

/** node_exporter 1.12's families (1.5 had only the first three, and no `cpu` id column). */
const SERIES: ReadonlyArray<readonly [MetricDesc, (row: SoftnetRow) => number]> = [
  [counter('processed_total', 'Number of processed packets'), (r) => r.processed],
  [counter('dropped_total', 'Number of dropped packets'), (r) => r.dropped],
  [counter('times_squeezed_total', 'Number of times processing packets ran out of quota'), (r) => r.timeSqueezed],
  [counter('cpu_collision_total', 'Number of collision occur while obtaining device lock while transmitting'), (r) => r.cpuCollision],
  [counter('received_rps_total', 'Number of times cpu woken up received_rps'), (r) => r.receivedRps],
  [counter('flow_limit_count_total', 'Number of times flow limit has been reached'), (r) => r.flowLimitCount],
  [desc('node_softnet_backlog_len', 'Softnet backlog status', 'gauge', ['cpu']), (r) => r.backlogLen],
];

export const softnetCollector: CollectorFactory = {
  name: 'softnet',
  defaultEnabled: true,
  create: ({ host, host: { paths } }) => ({
    async update(sink, signal) {
      const rows = await host.parseFileOrNoData(paths.proc('net', 'softnet_stat'), parseSoftnet, signal);
      for (const row of rows) {
        for (const [d, value] of SERIES) sink.add(d, value(row), String(row.cpu));
      }
    },
  }),
};
