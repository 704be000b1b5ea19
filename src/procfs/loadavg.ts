import { fields, parseFloatStrict } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

export interface LoadAverage {
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
}

/** /proc/loadavg: "0.21 0.35 0.40 1/234 5678"; only the first three fields are used. */
export function parseLoadavg(text: string): LoadAverage {
  const f = fields(text);
  if (f.length < 3) throw new ParseError(`expected at least 3 fields, got ${f.length}`);
  return {
    load1: parseFloatStrict(f[0], 'load1'),
    load5: parseFloatStrict(f[1], 'load5'),
    load15: parseFloatStrict(f[2], 'load15'),
  };
}
