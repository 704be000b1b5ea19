import { parseHexUint } from './hex.js';
import { fields } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** The /proc/net/stat/nf_conntrack counters node_exporter exports, summed over CPUs. */
export interface ConntrackStats {
  found: number;
  invalid: number;
  ignore: number;
  insert: number;
  insertFailed: number;
  drop: number;
  earlyDrop: number;
  searchRestart: number;
}

/**
 * Column positions, fixed by the kernel even where it renamed a column (the 2nd, once
 * "searched", is "clashres" since 5.x). search_restart, the 17th, came in Linux 2.6.35.
 */
const COLUMNS: Readonly<Record<keyof ConntrackStats, number>> = {
  found: 2,
  invalid: 4,
  ignore: 5,
  insert: 8,
  insertFailed: 9,
  drop: 10,
  earlyDrop: 11,
  searchRestart: 16,
};

/** /proc/net/stat/nf_conntrack: a header line, then one line of 16 or 17 hex columns per CPU. */
export function parseConntrackStats(text: string): ConntrackStats {
  const [header, ...lines] = text.split('\n');
  if (!/^\s*entries\s/.test(header ?? '')) throw new ParseError(`expected the header line, got ${JSON.stringify(header)}`);
  const sums: ConntrackStats = { found: 0, invalid: 0, ignore: 0, insert: 0, insertFailed: 0, drop: 0, earlyDrop: 0, searchRestart: 0 };
  for (const line of lines) {
    const f = fields(line);
    if (f.length === 0) continue;
    if (f.length !== 16 && f.length !== 17) throw new ParseError(`${f.length} columns, expected 16 or 17, in ${JSON.stringify(line)}`);
    const values = f.map((v, i) => parseHexUint(v, `column ${i + 1}`));
    for (const key of Object.keys(COLUMNS) as (keyof ConntrackStats)[]) sums[key] += values[COLUMNS[key]] ?? 0;
  }
  return sums;
}
