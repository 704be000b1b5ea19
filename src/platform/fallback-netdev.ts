/**
 * netdev on macOS/Windows: byte, error and drop counters per interface from systeminformation's
 * networkStats('*') (netstat and ifconfig on macOS, PowerShell on Windows), refreshed in the
 * background. systeminformation has no packet counts, so node_network_*_packets_total is absent.
 */
import type { CollectorFactory } from '../collector/collector.js';
import { filterFlags, filterFromFlags } from '../collector/device-filter.js';
import { desc } from '../exposition/model.js';
import { changingValue } from './refresher.js';
import type { FallbackDeps, NetworkStatsData } from './system-info.js';


const statistic = (key: string) => desc(`node_network_${key}_total`, `Network device statistic ${key}.`, 'counter', ['device']);

/** node_exporter's statistic → systeminformation's field. */
const COUNTERS = [
  [statistic('receive_bytes'), 'rx_bytes'],
  [statistic('receive_errs'), 'rx_errors'],
  [statistic('receive_drop'), 'rx_dropped'],
  [statistic('transmit_bytes'), 'tx_bytes'],
  [statistic('transmit_errs'), 'tx_errors'],
  [statistic('transmit_drop'), 'tx_dropped'],
] as const;

const DEVICE_FLAGS = filterFlags('collector.netdev.device', 'net devices');
export function fallbackNetdevCollector(deps: FallbackDeps): CollectorFactory {
  return {
    name: 'netdev',
    defaultEnabled: true,
    flags: DEVICE_FLAGS,
    create: ({ flags, log }) => {
      const filter = filterFromFlags(flags, DEVICE_FLAGS);
      const stats = changingValue(deps, log, 'systeminformation networkStats()', () => deps.si.networkStats());
      return {
        async update(sink) {
          const list: NetworkStatsData[] = stats.current;
          const seen = new Set<string>();
          for (const s of list) {
            if (s.iface === '' || seen.has(s.iface) || filter.ignored(s.iface)) continue;
            seen.add(s.iface);
            // A field systeminformation could not parse is NaN: left out rather than served.
            for (const [d, key] of COUNTERS) {
              if (Number.isFinite(s[key])) sink.add(d, s[key], s.iface);
            }
          }
        },
        close: () => stats.close(),
      };
    },
  };
}
