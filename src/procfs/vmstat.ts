import { FieldScanner } from './parse.js';
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

/**
 * parseVmstat as columns. The kernel prints the same names in the same order on every read,
 * so a name equal to `previous.names` at the same place is taken from there instead of being
 * sliced out of the text again, and `previous.names` itself is returned when all are equal: a
 * caller reading the file on every scrape allocates little more than the values.
 */
export function parseVmstatFields(text: string, previous?: VmstatFields): VmstatFields {
  const known = previous?.names ?? [];
  let names: string[] | undefined;
  const values: number[] = [];
  const scan = new FieldScanner(text);
  while (scan.nextLine()) {
    if (!scan.nextField()) continue;
    if (scan.remainingFields() !== 1) throw new ParseError(`expected "name value", got ${JSON.stringify(scan.line())}`);
    const i = values.length;
    const same = names === undefined && i < known.length && scan.fieldIs(known[i] as string);
    const name = same ? (known[i] as string) : scan.field();
    // The names so far were those of `previous`: copied once, at the first that differs.
    if (!same && names === undefined) names = known.slice(0, i);
    names?.push(name);
    scan.nextField();
    values.push(scan.uint(name));
  }
  if (values.length === 0) throw new ParseError('no fields');
  return { names: names ?? (values.length === known.length ? known : known.slice(0, values.length)), values };
}
