import { isSpace, parseUint, plainDigits } from './parse.js';
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
  // Lines as text.split('\n') gives them, less the empty one after a final newline; read by
  // index, so that a scrape builds no line, field or pair arrays.
  const end = text.endsWith('\n') ? text.length - 1 : text.length;
  const devices = new Map<string, NetDevCounters>();
  const values = new Array<number>(NET_DEV_COUNTERS.length).fill(0);
  let index = 0;
  for (let lineStart = 0; lineStart <= end; index++) {
    const nl = text.indexOf('\n', lineStart);
    const lineEnd = nl === -1 || nl > end ? end : nl;
    const from = lineStart;
    lineStart = lineEnd + 1;
    if (index < 2) continue;
    const where = `line ${index + 1}`;
    const colon = text.lastIndexOf(':', lineEnd - 1);
    if (colon < from || lineEnd === from) throw new ParseError(`${where}: missing colon in ${JSON.stringify(text.slice(from, lineEnd))}`);
    const name = text.slice(from, colon).trim();
    if (name === '') throw new ParseError(`${where}: empty interface name`);
    const count = fieldCount(text, colon + 1, lineEnd);
    if (count < NET_DEV_COUNTERS.length) {
      throw new ParseError(`${where}: expected ${NET_DEV_COUNTERS.length} counters for ${name}, got ${count}`);
    }
    let at = colon + 1;
    for (let i = 0; i < NET_DEV_COUNTERS.length; i++) {
      while (isSpace(text.charCodeAt(at))) at++;
      const fieldStart = at;
      while (at < lineEnd && !isSpace(text.charCodeAt(at))) at++;
      const plain = plainDigits(text, fieldStart, at);
      values[i] = Number.isNaN(plain) ? parseUint(text.slice(fieldStart, at), `${name} ${NET_DEV_COUNTERS[i]}`) : plain;
    }
    devices.set(name, countersOf(values));
  }
  // The kernel always writes the header, so a file without one was cut short (no line after it
  // was read, so this is the first problem found).
  if (index < 2) throw new ParseError('missing the two header lines');
  return devices;
}

/** How many whitespace-separated fields text[from, to) has. */
function fieldCount(text: string, from: number, to: number): number {
  let count = 0;
  let inField = false;
  for (let i = from; i < to; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (!space && !inField) count++;
    inField = !space;
  }
  return count;
}

/** The counters in NET_DEV_COUNTERS order as one record, built in one go. */
function countersOf(v: readonly number[]): NetDevCounters {
  return {
    receive_bytes: v[0] as number,
    receive_packets: v[1] as number,
    receive_errs: v[2] as number,
    receive_drop: v[3] as number,
    receive_fifo: v[4] as number,
    receive_frame: v[5] as number,
    receive_compressed: v[6] as number,
    receive_multicast: v[7] as number,
    transmit_bytes: v[8] as number,
    transmit_packets: v[9] as number,
    transmit_errs: v[10] as number,
    transmit_drop: v[11] as number,
    transmit_fifo: v[12] as number,
    transmit_colls: v[13] as number,
    transmit_carrier: v[14] as number,
    transmit_compressed: v[15] as number,
  };
}
