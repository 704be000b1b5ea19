import { FieldScanner } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** /proc/vmstat: one "name value" pair per line, in file order. Blank lines are skipped. */
export function parseVmstat(text: string): Array<readonly [name: string, value: number]> {
  const result: Array<readonly [string, number]> = [];
  const scan = new FieldScanner(text);
  while (scan.nextLine()) {
    if (!scan.nextField()) continue;
    if (scan.remainingFields() !== 1) throw new ParseError(`expected "name value", got ${JSON.stringify(scan.line())}`);
    const name = scan.field();
    scan.nextField();
    result.push([name, scan.uint(name)]);
  }
  if (result.length === 0) throw new ParseError('no fields');
  return result;
}
