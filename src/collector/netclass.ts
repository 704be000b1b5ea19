import type { Dirent } from 'node:fs';
import { defineFlag } from '../cli/flags.js';
import path from 'node:path';
import { desc, type MetricDesc } from '../exposition/model.js';
import { type AttributeFiles, NET_CLASS_ATTRIBUTES, type NetClassInterface, type NetClassIntAttribute, SYSFS_READ_LIMIT, isUnreadableAttribute, parseNetClassInterface } from '../sysfs/netclass.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';
import { NoDataError, isNotFound, isPermissionDenied } from '../hostfs/errors.js';
import { joinPath } from '../hostfs/paths.js';

const IGNORED_FLAG = defineFlag({ name: 'collector.netclass.ignored-devices', kind: 'regex', default: '^$', help: 'Regexp of net devices to ignore for netclass collector.' });
const INVALID_SPEED_FLAG = defineFlag({
  name: 'collector.netclass.ignore-invalid-speed',
  kind: 'bool',
  help: 'Ignore devices where the speed is invalid. This will be the default behavior in 2.x.',
});

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
  if (isNotFound(err) || isPermissionDenied(err)) throw new NoDataError(String((err as Error).message));
  throw err;
}

/** The attribute files an interface's directory had, and the ifindex they were listed for. */
interface Listing {
  readonly ifindex: string | undefined;
  readonly names: readonly string[];
  /** The files' paths, in the order of names. */
  readonly files: readonly string[];
}

/**
 * The attribute files of one interface read this scrape: names[i] held contents[i] (undefined
 * when it could not be read). Two arrays rather than a map of some twenty entries per interface.
 */
class ReadFiles implements AttributeFiles {
  readonly contents: (string | undefined)[];

  constructor(private readonly names: readonly string[]) {
    this.contents = new Array<string | undefined>(names.length);
  }

  get(name: string): string | undefined {
    const i = this.names.indexOf(name);
    return i === -1 ? undefined : this.contents[i];
  }
}

/**
 * Whether text read from a file is what procfs' single SYSFS_READ_LIMIT-byte read gives. Text
 * decoded from bytes takes at least as many bytes as they were (an invalid byte becomes a
 * 3-byte U+FFFD), so within the limit it was not cut.
 */
function withinReadLimit(text: string): boolean {
  return text.length <= SYSFS_READ_LIMIT / 3 || Buffer.byteLength(text, 'utf8') <= SYSFS_READ_LIMIT;
}

/** A longer attribute (an ifalias can be 255 bytes), read again as bytes and cut as procfs cuts it. */
async function readCut(host: HostFs, file: string, signal: AbortSignal): Promise<string> {
  const content = await host.readBytes(file, signal);
  return content.toString('utf8', 0, Math.min(content.length, SYSFS_READ_LIMIT));
}

/**
 * The known attribute files of one interface that can be read now, or undefined when the
 * interface went away after the listing (containers' veths come and go between the two).
 *
 * A device's attribute files are fixed when it is registered, so the directory is listed once
 * per device rather than on every scrape: `listings` remembers the names with the device's
 * ifindex, and a different ifindex (another device by the same name) or a vanished file means
 * the directory is listed afresh.
 */
async function readAttributes(
  host: HostFs,
  dir: string,
  device: string,
  listings: Map<string, Listing>,
  signal: AbortSignal,
): Promise<ReadFiles | undefined> {
  const remembered = listings.get(device);
  let names = remembered?.names;
  let paths = remembered?.files;
  if (names === undefined || paths === undefined) {
    let entries: Dirent[];
    try {
      entries = await host.listDirEntries(dir);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      return noDataIfAbsent(err);
    }
    names = entries.filter((e) => e.isFile() && NET_CLASS_ATTRIBUTES.has(e.name)).map((e) => e.name);
    paths = names.map((name) => joinPath(dir, name));
  }
  // One read after another: most are synchronous underneath; only speed and duplex go
  // through the pool, and interfaces are still read side by side. No closure and no
  // Promise.all per attribute.
  const files = new ReadFiles(names);
  let vanished = false;
  for (let i = 0; i < names.length; i++) {
    const file = paths[i] as string;
    try {
      const text = await host.readText(file, signal);
      files.contents[i] = withinReadLimit(text) ? text : await readCut(host, file, signal);
    } catch (err) {
      if (isNotFound(err)) vanished = true;
      if (!isUnreadableAttribute(err)) throw err;
    }
  }
  if (remembered && (vanished || files.get('ifindex') !== remembered.ifindex)) {
    listings.delete(device);
    return readAttributes(host, dir, device, listings, signal);
  }
  if (!vanished && !remembered) listings.set(device, { ifindex: files.get('ifindex'), names, files: paths });
  return files;
}

export const netclassCollector: CollectorFactory = {
  name: 'netclass',
  defaultEnabled: true,
  flags: [
    IGNORED_FLAG,
    INVALID_SPEED_FLAG,
  ],
  create: ({ host, host: { paths }, flags }) => {
    const ignored = flags.get(IGNORED_FLAG);
    const ignoreInvalidSpeed = flags.get(INVALID_SPEED_FLAG);
    const listings = new Map<string, Listing>();
    return {
      async update(sink, signal) {
        const classDir = paths.sys('class', 'net');
        const entries = await host.listDirEntries(classDir).catch(noDataIfAbsent);
        // Interfaces are symlinks into /sys/devices; regular files such as bonding_masters are not.
        const devices = entries.filter((e) => !e.isFile() && !ignored.test(e.name)).map((e) => e.name);
        for (const known of listings.keys()) if (!devices.includes(known)) listings.delete(known);
        const read = await Promise.all(devices.map((d) => readAttributes(host, joinPath(classDir, d), d, listings, signal)));
        // Everything is parsed before anything is added, so a malformed file yields no partial set.
        const parsed = new Array<NetClassInterface | undefined>(devices.length);
        for (let i = 0; i < devices.length; i++) {
          const files = read[i];
          if (files === undefined) continue;
          try {
            parsed[i] = parseNetClassInterface(files);
          } catch (err) {
            throw new Error(`parsing ${path.join(classDir, devices[i] as string)}: ${(err as Error).message}`, { cause: err });
          }
        }
        for (let i = 0; i < devices.length; i++) {
          const iface = parsed[i];
          if (iface === undefined) continue;
          const device = devices[i] as string;
          const { text, ints } = iface;
          sink.add(up, text.operstate === 'up' ? 1 : 0, device);
          // Bit 0 of flags is IFF_UP, the administrative state (`ip link set up`).
          const adminState = ints.flags === undefined ? 'unknown' : (ints.flags & 1) === 1 ? 'up' : 'down';
          sink.add(info, 1, device, text.address, text.broadcast, text.duplex, text.operstate, adminState, text.ifalias);
          // One label set for the device's properties (they never change it).
          const labels = { device };
          for (const [attribute, d] of PROPERTIES) {
            const value = ints[attribute];
            if (value !== undefined) sink.addWithLabels(d, labels, value);
          }
          // Mbit/s to bytes/s; an unknown speed (-1) is served as -125000 unless asked not to.
          if (ints.speed !== undefined && (ints.speed >= 0 || !ignoreInvalidSpeed)) sink.addWithLabels(speedBytes, labels, ints.speed * 125000);
        }
      },
    };
  },
};
