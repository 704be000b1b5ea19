import { desc } from '../exposition/model.js';
import { parseArpEntries } from '../procfs/arp.js';
import type { CollectorFactory } from './collector.js';
import { filterFlags, filterFromFlags } from './device-filter.js';

const NETLINK_FLAG = 'collector.arp.netlink';

const entriesDesc = desc('node_arp_entries', 'ARP entries by device', 'gauge', ['device']);

/**
 * Always reads /proc/net/arp, i.e. node_exporter's --no-collector.arp.netlink path: Node.js has
 * no rtnetlink. Both list the IPv4 neighbours except NUD_NOARP ones, so the counts agree.
 */
const DEVICE_FLAGS = filterFlags('collector.arp.device', 'arp devices');
export const arpCollector: CollectorFactory = {
  name: 'arp',
  defaultEnabled: true,
  flags: [
    ...DEVICE_FLAGS,
    // Accepted so node_exporter 1.6+ command lines keep working; both values read /proc/net/arp.
    { name: NETLINK_FLAG, kind: 'bool', default: 'true', help: 'Accepted for node_exporter compatibility and ignored: entries always come from /proc/net/arp.' },
  ],
  create: ({ host, host: { paths }, flags }) => {
    const devices = filterFromFlags(flags, DEVICE_FLAGS);
    return {
      async update(sink, signal) {
        const entries = await host.parseFileOrNoData(paths.proc('net', 'arp'), parseArpEntries, signal);
        for (const [device, count] of entries) {
          if (!devices.ignored(device)) sink.add(entriesDesc, count, device);
        }
      },
    };
  },
};
