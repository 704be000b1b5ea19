import type { Dirent } from 'node:fs';
import path from 'node:path';
import { desc, type MetricDesc } from '../exposition/model.js';
import { listDirEntries, readBytes } from '../io.js';
import {
  NET_CLASS_ATTRIBUTES,
  type NetClassIntAttribute,
  SYSFS_READ_LIMIT,
  isUnreadableAttribute,
  parseNetClassInterface,
} from '../sysfs/netclass.js';
import { type CollectorFactory, NoDataError, isNotFound } from './collector.js';

const IGNORED_FLAG = 'collector.netclass.ignored-devices';
const INVALID_SPEED_FLAG = 'collector.netclass.ignore-invalid-speed';

const up = desc('node_network_up', "Value is 1 if operstate is 'up', 0 otherwise.", 'gauge', ['device']);
const info = desc('node_network_info', 'Non-numeric data from /sys/class/net/<iface>, value is always 1.', 'gauge', [
  'device', 'address', 'broadcast', 'duplex', 'operstate', 'adminstate', 'ifalias',
]);
const property = (name: string, type: 'gauge' | 'counter' = 'gauge'): MetricDesc =>
  desc(`node_network_${name}`, `Network device property: ${name}`, type, ['device']);
const speedBytes = property('speed_bytes');

/** Series taken as they are from one integer attribute each. */
const PROPERTIES: ReadonlyArray<readonly [NetClassIntAttribute, MetricDesc]> = [
  ['addr_assign_type', property('address_assign_type')],
  ['carrier', property('carrier')],
  ['carrier_changes', property('carrier_changes_total', 'counter')],
  ['carrier_up_count', property('carrier_up_changes_total', 'counter')],
  ['carrier_down_count', property('carrier_down_changes_total', 'counter')],
  ['dev_id', property('device_id')],
  ['dormant', property('dormant')],
  ['flags', property('flags')],
  ['ifindex', property('iface_id')],
  ['iflink', property('iface_link')],
  ['link_mode', property('iface_link_mode')],
  ['mtu', property('mtu_bytes')],
  ['name_assign_type', property('name_assign_type')],
  ['netdev_group', property('net_dev_group')],
  ['tx_queue_len', property('transmit_queue_length')],
  ['type', property('protocol_type')],
];

/** Like node_exporter, a class/net that is missing or forbidden is "no data", not a failure. */
function noDataIfAbsent(err: unknown): never {
  const code = (err as NodeJS.ErrnoException).code;
  if (isNotFound(err) || code === 'EACCES' || code === 'EPERM') throw new NoDataError(String((err as Error).message));
  throw err;
}

/**
 * The known attribute files of one interface that can be read now, or undefined when the
 * interface went away after the listing (containers' veths come and go between the two).
 */
async function readAttributes(dir: string, signal: AbortSignal): Promise<Map<string, string> | undefined> {
  let entries: Dirent[];
  try {
    entries = await listDirEntries(dir);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    return noDataIfAbsent(err);
  }
  const files = new Map<string, string>();
  await Promise.all(
    entries
      .filter((e) => e.isFile() && NET_CLASS_ATTRIBUTES.has(e.name))
      .map(async (e) => {
        try {
          const content = await readBytes(path.join(dir, e.name), signal);
          files.set(e.name, content.subarray(0, SYSFS_READ_LIMIT).toString('utf8'));
        } catch (err) {
          if (!isUnreadableAttribute(err)) throw err;
        }
      }),
  );
  return files;
}

export const netclassCollector: CollectorFactory = {
  name: 'netclass',
  defaultEnabled: true,
  flags: [
    { name: IGNORED_FLAG, kind: 'regex', default: '^$', help: 'Regexp of net devices to ignore for netclass collector.' },
    {
      name: INVALID_SPEED_FLAG,
      kind: 'bool',
      help: 'Ignore devices where the speed is invalid. This will be the default behavior in 2.x.',
    },
  ],
  create: ({ paths, flags }) => {
    const ignored = flags.regex(IGNORED_FLAG) as RegExp;
    const ignoreInvalidSpeed = flags.bool(INVALID_SPEED_FLAG);
    return {
      async update(sink, signal) {
        const classDir = paths.sys('class', 'net');
        const entries = await listDirEntries(classDir).catch(noDataIfAbsent);
        // Interfaces are symlinks into /sys/devices; regular files such as bonding_masters are not.
        const devices = entries.filter((e) => !e.isFile() && !ignored.test(e.name)).map((e) => e.name);
        const read = await Promise.all(devices.map((d) => readAttributes(path.join(classDir, d), signal)));
        // Everything is parsed before anything is added, so a malformed file yields no partial set.
        const interfaces = devices.flatMap((device, i) => {
          const files = read[i];
          if (files === undefined) return [];
          try {
            return [{ device, ...parseNetClassInterface(files) }];
          } catch (err) {
            throw new Error(`parsing ${path.join(classDir, device)}: ${(err as Error).message}`, { cause: err });
          }
        });
        for (const { device, text, ints } of interfaces) {
          sink.add(up, text.operstate === 'up' ? 1 : 0, device);
          // Bit 0 of flags is IFF_UP, the administrative state (`ip link set up`).
          const adminState = ints.flags === undefined ? 'unknown' : (ints.flags & 1) === 1 ? 'up' : 'down';
          sink.add(info, 1, device, text.address, text.broadcast, text.duplex, text.operstate, adminState, text.ifalias);
          for (const [attribute, d] of PROPERTIES) {
            const value = ints[attribute];
            if (value !== undefined) sink.add(d, value, device);
          }
          // Mbit/s to bytes/s; an unknown speed (-1) is served as -125000 unless asked not to.
          if (ints.speed !== undefined && (ints.speed >= 0 || !ignoreInvalidSpeed)) sink.add(speedBytes, ints.speed * 125000, device);
        }
      },
    };
  },
};
