import { ParseError, fields, parseInt10 } from './parse.js';

/** The fields of /proc/<pid>/stat (or /proc/<pid>/task/<tid>/stat) the processes collector uses. */
export interface PidStat {
  /** One letter: R, S, D, Z, T, t, X, I, ... */
  readonly state: string;
  readonly numThreads: number;
}

/** num_threads is the 20th field, i.e. the 18th after the ")" that ends comm. */
const NUM_THREADS_AFTER_COMM = 17;

/**
 * /proc/<pid>/stat: "pid (comm) state ppid ...". comm may contain spaces and parentheses, so
 * the fields start after the last ")", as in prometheus/procfs.
 */
export function parsePidStat(text: string): PidStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new ParseError(`no "(comm)" in ${JSON.stringify(text.slice(0, 60))}`);
  const f = fields(text.slice(close + 1));
  if (f.length <= NUM_THREADS_AFTER_COMM) throw new ParseError(`${f.length} fields after comm, expected at least ${NUM_THREADS_AFTER_COMM + 1}`);
  const state = f[0] as string;
  if (!/^[A-Za-z]$/.test(state)) throw new ParseError(`state: expected one letter, got ${JSON.stringify(state)}`);
  return { state, numThreads: parseInt10(f[NUM_THREADS_AFTER_COMM], 'num_threads') };
}
