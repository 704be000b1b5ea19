import { ParseError } from '../lib/parse-error.js';


const HEX = /^[0-9a-fA-F]+$/;

/** A hexadecimal unsigned integer without prefix, as /proc/net prints counters ("%08x"). */
export function parseHexUint(text: string | undefined, what: string): number {
  if (text === undefined || !HEX.test(text)) {
    throw new ParseError(`${what}: expected a hexadecimal number, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`);
  }
  return Number.parseInt(text, 16);
}
