import { desc } from '../exposition/model.js';
import type { Logger } from '../lib/log.js';
import { NET_DEV_COUNTERS, type NetDevCounters, parseNetDev } from '../procfs/netdev.js';
import { parseUint } from '../procfs/parse.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';
import { filterFlags, filterFromFlags } from './device-filter.js';
import { NoDataError, isNotFound } from '../hostfs/errors.js';
import { ParseError } from '../lib/parse-error.js';


const statistic = (key: string) => desc(`node_network_${key}_total`, `Network device statistic ${key}.`, 'counter', ['device']);
const counters = NET_DEV_COUNTERS.map((key) => [key, statistic(key)] as const);
const receiveNoHandler = statistic('receive_nohandler');

/**
 * rx_nohandler (packets dropped for want of a protocol handler) is not in /proc/net/dev;
 * node_exporter takes it from netlink, this exporter from sysfs. Absent on kernels before 4.6
 * and for interfaces sysfs does not list; only a malformed value is an error.
 */
async function readNoHandler(host: HostFs, device: string, log: Logger, signal: AbortSignal): Promise<number | undefined> {
  // Kernel interface names never hold '/', but this one was read from a file.
  if (device.includes('/') || device === '.' || device === '..') return undefined;
  const file = host.paths.sys('class', 'net', device, 'statistics', 'rx_nohandler');
  try {
    return await host.parseFile(file, (text) => parseUint(text.trim(), 'rx_nohandler'), signal);
  } catch (err) {
    if ((err as Error).cause instanceof ParseError) throw err;
    log.debug('Could not read rx_nohandler', { file, err });
    return undefined;
  }
}

const DEVICE_FLAGS = filterFlags('collector.netdev.device', 'net devices');
export const netdevCollector: CollectorFactory = {
  name: 'netdev',
  defaultEnabled: true,
  flags: [
    ...DEVICE_FLAGS,
    {
      name: 'collector.netdev.netlink',
      kind: 'bool',
      default: 'true',
      help: 'Accepted for node_exporter compatibility and ignored: statistics always come from /proc/net/dev (plus rx_nohandler from sysfs).',
    },
  ],
  create: ({ host, host: { paths }, flags, log }) => {
    const filter = filterFromFlags(flags, DEVICE_FLAGS);
    return {
      async update(sink, signal) {
        const file = paths.proc('net', 'dev');
        const devices = await host.parseFile(file, parseNetDev, signal).catch((err: Error) => {
          throw isNotFound(err) ? new NoDataError(`${file} not found`) : err;
        });
        const kept: string[] = [];
        for (const device of devices.keys()) if (!filter.ignored(device)) kept.push(device);
        // In the order they are served in, so that the writer has nothing to sort.
        kept.sort();
        const noHandler = await Promise.all(kept.map((device) => readNoHandler(host, device, log, signal)));
        for (let i = 0; i < kept.length; i++) {
          const device = kept[i] as string;
          const values = devices.get(device) as NetDevCounters;
          // One label set for the device's series (they never change it).
          const labels = { device };
          for (const [key, d] of counters) sink.addWithLabels(d, labels, values[key]);
          const dropped = noHandler[i];
          if (dropped !== undefined) sink.addWithLabels(receiveNoHandler, labels, dropped);
        }
      },
    };
  },
};
