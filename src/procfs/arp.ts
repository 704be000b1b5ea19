import { fields } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const FLAGS = /^0x[0-9a-fA-F]{1,2}$/;
/** Ethernet (6 octets), or longer link addresses such as InfiniBand's 20. */
const HW_ADDRESS = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2})+$/;

/**
 * /proc/net/arp: a header line ("IP address  HW type  Flags  HW address  Mask  Device"), then
 * one line of six columns per IPv4 neighbour. Returns the number of entries per device.
 */
export function parseArpEntries(text: string): Map<string, number> {
  const lines = text.split('\n');
  if (!/^IP address\s/.test(lines[0] ?? '')) throw new ParseError(`expected the header line, got ${JSON.stringify(lines[0])}`);
  const entries = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const f = fields(line);
    if (f.length === 0) continue;
    const [ip = '', , flags = '', hwAddress = '', , device = ''] = f;
    if (f.length !== 6 || !IPV4.test(ip) || !FLAGS.test(flags) || !HW_ADDRESS.test(hwAddress)) {
      throw new ParseError(`expected "IP type flags hw-address mask device", got ${JSON.stringify(line)}`);
    }
    entries.set(device, (entries.get(device) ?? 0) + 1);
  }
  return entries;
}
