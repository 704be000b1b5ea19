import { FieldScanner, parseUint, uintAt } from './parse.js';
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
  const scan = new FieldScanner(text);
  while (scan.nextLine()) {
    if (!scan.nextField()) continue;
    const { start: labelStart, end: labelEnd } = scan;
    const more = scan.remainingFields();
    if (more > 2 || text.charCodeAt(labelEnd - 1) !== 58 || labelEnd - labelStart === 1) { // ':'
      throw new ParseError(`malformed line ${JSON.stringify(scan.line())}`);
    }
    const key = text.slice(labelStart, labelEnd - 1);
    if (more === 0) parseUint(undefined, key); // throws: no number
    scan.nextField();
    const { start: numberStart, end: numberEnd } = scan;
    let inKiB = false;
    if (more === 2) {
      scan.nextField();
      if (!scan.fieldIs('kB')) throw new ParseError(`${key}: unsupported unit ${JSON.stringify(scan.field())}`);
      inKiB = true;
    }
    result.set(key, { value: uintAt(text, numberStart, numberEnd, key), inKiB });
  }
  if (result.size === 0) throw new ParseError('no fields');
  return result;
}
