import { desc, type MetricDesc } from '../exposition/model.js';
import { parseConntrackStats, type ConntrackStats } from '../procfs/conntrack.js';
import type { CollectorFactory } from './collector.js';

const gauge = (name: string, help: string) => desc(`node_nf_conntrack_${name}`, help, 'gauge');

const entries = gauge('entries', 'Number of currently allocated flow entries for connection tracking.');
const entriesLimit = gauge('entries_limit', 'Maximum size of connection tracking table.');
const STATS: ReadonlyArray<readonly [keyof ConntrackStats, MetricDesc]> = [
  ['found', gauge('stat_found', 'Number of searched entries which were successful.')],
  ['invalid', gauge('stat_invalid', 'Number of packets seen which can not be tracked.')],
  ['ignore', gauge('stat_ignore', 'Number of packets seen which are already connected to a conntrack entry.')],
  ['insert', gauge('stat_insert', 'Number of entries inserted into the list.')],
  ['insertFailed', gauge('stat_insert_failed', 'Number of entries for which list insertion was attempted but failed.')],
  ['drop', gauge('stat_drop', 'Number of packets dropped due to conntrack failure.')],
  ['earlyDrop', gauge('stat_early_drop', 'Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.')],
  ['searchRestart', gauge('stat_search_restart', 'Number of conntrack table lookups which had to be restarted due to hashtable resizes.')],
];

/** Absent files mean the nf_conntrack module is not loaded: NoDataError, as in node_exporter. */
export const conntrackCollector: CollectorFactory = {
  name: 'conntrack',
  defaultEnabled: true,
  create: ({ host, host: { paths } }) => ({
    async update(sink, signal) {
      const netfilter = (name: string) => paths.proc('sys', 'net', 'netfilter', name);
      // Sequential, as node_exporter: the series read before a failure are still served.
      sink.add(entries, await host.readUintFileOrNoData(netfilter('nf_conntrack_count'), signal));
      sink.add(entriesLimit, await host.readUintFileOrNoData(netfilter('nf_conntrack_max'), signal));
      const stats = await host.parseFileOrNoData(paths.proc('net', 'stat', 'nf_conntrack'), parseConntrackStats, signal);
      for (const [key, d] of STATS) sink.add(d, stats[key]);
    },
  }),
};
