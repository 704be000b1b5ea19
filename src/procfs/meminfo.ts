import { fields, parseUint } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

export interface MeminfoValue {
  /** The number as printed, before any unit conversion. */
  readonly value: number;
  /** True when the line carried the `kB` unit (the only unit the kernel prints). */
  readonly inKiB: boolean;
}

/**
 * /proc/meminfo: "MemTotal:       24684096 kB" or, for counts, "HugePages_Total:       0".
 * Returns every line keyed as printed without the colon (e.g. `Active(anon)`); a later
 * duplicate wins. Blank lines are skipped (some 3.10 kernels print them).
 */
export function parseMeminfo(text: string): ReadonlyMap<string, MeminfoValue> {
  const result = new Map<string, MeminfoValue>();
  for (const line of text.split('\n')) {
    const f = fields(line);
    if (f.length === 0) continue;
    const [label, number, unit] = f as [string, string | undefined, string | undefined];
    if (f.length > 3 || !label.endsWith(':') || label.length === 1) {
      throw new ParseError(`malformed line ${JSON.stringify(line)}`);
    }
    const key = label.slice(0, -1);
    if (unit !== undefined && unit !== 'kB') throw new ParseError(`${key}: unsupported unit ${JSON.stringify(unit)}`);
    result.set(key, { value: parseUint(number, key), inKiB: unit === 'kB' });
  }
  if (result.size === 0) throw new ParseError('no fields');
  return result;
}
