import { parseHexUint } from './hex.js';
import { fields, parseUint } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** The columns of one /proc/net/{tcp,udp}{,6} socket line that the collectors use. */
export interface IpSocket {
  /** The kernel's TCP state number (TCP_ESTABLISHED = 1, ... TCP_CLOSING = 11); 7 (CLOSE) for idle UDP. */
  readonly state: number;
  /** Bytes in the send and receive queues. */
  readonly txQueue: number;
  readonly rxQueue: number;
}

/** "0100007F:0035": an address of 8 (IPv4) or 32 (IPv6) hex digits and a hex port. */
const ADDRESS = /^(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):[0-9A-Fa-f]+$/;

/**
 * /proc/net/tcp, tcp6, udp and udp6: a header line, then one line per socket:
 * "sl local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...". UDP lines end
 * with a `drops` column (the 13th), which must be there as prometheus/procfs requires it.
 */
export function parseIpSockets(text: string, protocol: 'tcp' | 'udp'): IpSocket[] {
  const lines = text.split('\n');
  if (!/^\s*sl\s+local_address/.test(lines[0] ?? '')) throw new ParseError(`expected the header line, got ${JSON.stringify(lines[0])}`);
  const minColumns = protocol === 'udp' ? 13 : 10;
  const sockets: IpSocket[] = [];
  for (const line of lines.slice(1)) {
    const f = fields(line);
    if (f.length === 0) continue;
    const bad = (what: string) => new ParseError(`${what} in socket line ${JSON.stringify(line.trim())}`);
    if (f.length < minColumns) throw bad(`${f.length} columns, expected at least ${minColumns},`);
    const [sl, local, remote, state, queues] = f as [string, string, string, string, string];
    if (!/^\d+:$/.test(sl)) throw bad('bad slot number');
    if (!ADDRESS.test(local) || !ADDRESS.test(remote)) throw bad('bad address');
    const [tx, rx, ...extra] = queues.split(':');
    if (rx === undefined || extra.length > 0) throw bad('bad tx_queue:rx_queue');
    parseUint(f[7], 'uid');
    parseUint(f[9], 'inode');
    if (protocol === 'udp') parseUint(f[12], 'drops');
    sockets.push({ state: parseHexUint(state, 'st'), txQueue: parseHexUint(tx, 'tx_queue'), rxQueue: parseHexUint(rx, 'rx_queue') });
  }
  return sockets;
}
