import { desc, type MetricDesc } from '../exposition/model.js';
import { BoundedCache } from './bounded-cache.js';
import { parseSockstat, type Sockstat } from '../procfs/sockstat.js';
import type { CollectorFactory } from './collector.js';
import type { MetricSink } from './sink.js';
import { NoDataError } from '../hostfs/errors.js';

const socketsUsed = desc('node_sockstat_sockets_used', 'Number of IPv4 sockets in use.', 'gauge');

/** The keys node_exporter exports, in its order; `inuse` is exported (as 0) even when absent. */
const KEYS = ['inuse', 'orphan', 'tw', 'alloc', 'mem', 'memory'] as const;

/** The gauges by protocol and key, kept between scrapes (the kernel prints the same lines each time). */
class Gauges {
  private readonly byName = new BoundedCache<MetricDesc>(1024);

  get(protocol: string, key: string): MetricDesc {
    return this.byName.get(`${protocol}_${key}`, () =>
      desc(`node_sockstat_${protocol}_${key}`, `Number of ${protocol} sockets in state ${key}.`, 'gauge'),
    );
  }
}

function addSockstat(sink: MetricSink, gauge: Gauges, stat: Sockstat, pageSize: number, isIPv4: boolean): void {
  if (isIPv4 && stat.used !== undefined) sink.add(socketsUsed, stat.used);
  for (const { protocol, values } of stat.protocols) {
    for (const key of KEYS) {
      const value = values.get(key) ?? (key === 'inuse' ? 0 : undefined);
      if (value !== undefined) sink.add(gauge.get(protocol, key), value);
    }
    const mem = values.get('mem'); // in pages
    if (mem !== undefined) sink.add(gauge.get(protocol, 'mem_bytes'), mem * pageSize);
  }
}

export const sockstatCollector: CollectorFactory = {
  name: 'sockstat',
  defaultEnabled: true,
  create: ({ host, host: { paths }, log }) => {
    const read = async (file: string, signal: AbortSignal) => {
      const stat = await host.parseFileIfExists(paths.proc('net', file), parseSockstat, signal);
      if (!stat) log.debug(`${file} statistics not found, skipping`);
      return stat;
    };
    const gauges = new Gauges();
    return {
      async update(sink, signal) {
        // Either file is absent when its IP version is disabled in the kernel.
        const [v4, v6, pageSize] = await Promise.all([read('sockstat', signal), read('sockstat6', signal), host.pageSize()]);
        if (!v4 && !v6) throw new NoDataError(`neither ${paths.proc('net', 'sockstat')} nor sockstat6 exists`);
        if (v4) addSockstat(sink, gauges, v4, pageSize, true);
        if (v6) addSockstat(sink, gauges, v6, pageSize, false);
      },
    };
  },
};
