import { parseUint } from '../procfs/parse.js';
import { ParseError } from '../lib/parse-error.js';

/** A kernel CPU list ("0-3,8,10-11", or empty): the CPU numbers it names, ascending. */
export function parseCpuList(text: string): number[] {
  const t = text.trim();
  if (t === '') return [];
  const cpus = new Set<number>();
  for (const part of t.split(',')) {
    const [from, to, extra] = part.split('-');
    if (extra !== undefined) throw new ParseError(`bad CPU range ${JSON.stringify(part)}`);
    const first = parseUint(from, 'CPU list start');
    const last = to === undefined ? first : parseUint(to, 'CPU list end');
    if (last < first) throw new ParseError(`bad CPU range ${JSON.stringify(part)}`);
    if (last - first > 65536) throw new ParseError(`CPU range ${JSON.stringify(part)} is implausibly large`);
    for (let c = first; c <= last; c++) cpus.add(c);
  }
  return [...cpus].sort((a, b) => a - b);
}
