import { FieldScanner, ReusedNames } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** /proc/vmstat as two columns: names[i] has values[i]. */
export interface VmstatFields {
  readonly names: readonly string[];
  readonly values: readonly number[];
}

/** /proc/vmstat: one "name value" pair per line, in file order. Blank lines are skipped. */
export function parseVmstat(text: string): Array<readonly [name: string, value: number]> {
  const { names, values } = parseVmstatFields(text);
  return names.map((name, i) => [name, values[i] as number] as const);
}

/** parseVmstat as columns, the names reused from `previous` (ReusedNames). */
export function parseVmstatFields(text: string, previous?: VmstatFields): VmstatFields {
  const names = new ReusedNames(text, previous?.names);
  const values: number[] = [];
  const scan = new FieldScanner(text);
  while (scan.nextLine()) {
    if (!scan.nextField()) continue;
    if (scan.remainingFields() !== 1) throw new ParseError(`expected "name value", got ${JSON.stringify(scan.line())}`);
    const name = names.take(scan.start, scan.end);
    scan.nextField();
    values.push(scan.uint(name));
  }
  if (values.length === 0) throw new ParseError('no fields');
  return { names: names.names(), values };
}
