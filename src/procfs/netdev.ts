import { fields, parseUint } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/**
 * The 16 counters of a /proc/net/dev line, in column order, named as node_exporter names them
 * (node_network_<name>_total): the header's column names with the direction in front.
 */
export const NET_DEV_COUNTERS = [
  'receive_bytes',
  'receive_packets',
  'receive_errs',
  'receive_drop',
  'receive_fifo',
  'receive_frame',
  'receive_compressed',
  'receive_multicast',
  'transmit_bytes',
  'transmit_packets',
  'transmit_errs',
  'transmit_drop',
  'transmit_fifo',
  'transmit_colls',
  'transmit_carrier',
  'transmit_compressed',
] as const;

export type NetDevCounter = (typeof NET_DEV_COUNTERS)[number];
export type NetDevCounters = Readonly<Record<NetDevCounter, number>>;

/**
 * /proc/net/dev: two header lines, then "  name: 16 counters" per interface. The name is what
 * precedes the last colon. Counters past the 16th are ignored; a device listed twice keeps its
 * last line (prometheus/procfs keys them by name). Any other deviation fails the whole file.
 */
export function parseNetDev(text: string): Map<string, NetDevCounters> {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  // The kernel always writes the header, so a file without one was cut short.
  if (lines.length < 2) throw new ParseError('missing the two header lines');
  const devices = new Map<string, NetDevCounters>();
  for (const [index, line] of lines.entries()) {
    if (index < 2) continue;
    const where = `line ${index + 1}`;
    const colon = line.lastIndexOf(':');
    if (colon === -1) throw new ParseError(`${where}: missing colon in ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim();
    if (name === '') throw new ParseError(`${where}: empty interface name`);
    const values = fields(line.slice(colon + 1));
    if (values.length < NET_DEV_COUNTERS.length) {
      throw new ParseError(`${where}: expected ${NET_DEV_COUNTERS.length} counters for ${name}, got ${values.length}`);
    }
    const counters = Object.fromEntries(NET_DEV_COUNTERS.map((key, i) => [key, parseUint(values[i], `${name} ${key}`)]));
    devices.set(name, counters as NetDevCounters);
  }
  return devices;
}
