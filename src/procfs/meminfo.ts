import { FieldScanner, parseUint, ReusedNames, uintAt } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

export interface MeminfoValue {
  /** The number as printed, before any unit conversion. */
  readonly value: number;
  /** True when the line carried the `kB` unit (the only unit the kernel prints). */
  readonly inKiB: boolean;
}

/** /proc/meminfo as columns, one entry a line in file order (duplicates kept): keys[i] has values[i]. */
export interface MeminfoFields {
  readonly keys: readonly string[];
  /** The numbers as printed, before any unit conversion. */
  readonly values: readonly number[];
  /** Whether the line carried the `kB` unit (the only unit the kernel prints). */
  readonly inKiB: readonly boolean[];
}

/**
 * /proc/meminfo: "MemTotal:       24684096 kB" or, for counts, "HugePages_Total:       0".
 * Returns every line keyed as printed without the colon (e.g. `Active(anon)`); a later
 * duplicate wins. Blank lines are skipped (some 3.10 kernels print them).
 */
export function parseMeminfo(text: string): ReadonlyMap<string, MeminfoValue> {
  const { keys, values, inKiB } = parseMeminfoFields(text);
  const result = new Map<string, MeminfoValue>();
  for (let i = 0; i < keys.length; i++) result.set(keys[i] as string, { value: values[i] as number, inKiB: inKiB[i] as boolean });
  return result;
}

/** parseMeminfo as columns, the keys reused from `previous` (ReusedNames). */
export function parseMeminfoFields(text: string, previous?: MeminfoFields): MeminfoFields {
  const keys = new ReusedNames(text, previous?.keys);
  const values: number[] = [];
  const inKiB: boolean[] = [];
  const scan = new FieldScanner(text);
  while (scan.nextLine()) {
    if (!scan.nextField()) continue;
    const { start: labelStart, end: labelEnd } = scan;
    const more = scan.remainingFields();
    if (more > 2 || text.charCodeAt(labelEnd - 1) !== 58 || labelEnd - labelStart === 1) { // ':'
      throw new ParseError(`malformed line ${JSON.stringify(scan.line())}`);
    }
    const key = keys.take(labelStart, labelEnd - 1);
    if (more === 0) parseUint(undefined, key); // throws: no number
    scan.nextField();
    const { start: numberStart, end: numberEnd } = scan;
    let kib = false;
    if (more === 2) {
      scan.nextField();
      if (!scan.fieldIs('kB')) throw new ParseError(`${key}: unsupported unit ${JSON.stringify(scan.field())}`);
      kib = true;
    }
    values.push(uintAt(text, numberStart, numberEnd, key));
    inKiB.push(kib);
  }
  if (values.length === 0) throw new ParseError('no fields');
  return { keys: keys.names(), values, inKiB };
}
