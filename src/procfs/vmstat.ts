import { fields, parseUint } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** /proc/vmstat: one "name value" pair per line, in file order. Blank lines are skipped. */
export function parseVmstat(text: string): Array<readonly [name: string, value: number]> {
  const result: Array<readonly [string, number]> = [];
  for (const line of text.split('\n')) {
    const f = fields(line);
    if (f.length === 0) continue;
    if (f.length !== 2) throw new ParseError(`expected "name value", got ${JSON.stringify(line)}`);
    const [name, value] = f as [string, string];
    result.push([name, parseUint(value, name)]);
  }
  if (result.length === 0) throw new ParseError('no fields');
  return result;
}
