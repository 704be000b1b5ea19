import { fields, parseInt10, parseUint } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** The fields of /proc/<pid>/stat (or /proc/<pid>/task/<tid>/stat) the processes collector uses. */
export interface PidStat {
  /** One letter: R, S, D, Z, T, t, X, I, ... */
  readonly state: string;
  readonly numThreads: number;
}

/** The fields process groups use (process-exporter's reading of the same file). */
export interface PidStatDetail extends PidStat {
  readonly pid: number;
  /** The executable's name as the kernel keeps it, at most 15 bytes; may contain spaces and ")". */
  readonly comm: string;
  readonly ppid: number;
  readonly minorFaults: number;
  readonly majorFaults: number;
  /** CPU time in USER_HZ ticks. */
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  /** Start time in USER_HZ ticks after boot; with the pid, it identifies a process across pid reuse. */
  readonly startTicks: number;
  readonly virtualBytes: number;
  readonly rssPages: number;
}

/** Indexes of the fields after the ")" that ends comm (field 3, state, is index 0). */
const AFTER_COMM = {
  state: 0,
  ppid: 1,
  minflt: 7,
  majflt: 9,
  utime: 11,
  stime: 12,
  numThreads: 17,
  starttime: 19,
  vsize: 20,
  rss: 21,
} as const;

/**
 * /proc/<pid>/stat: "pid (comm) state ppid ...". comm may contain spaces and parentheses, so
 * the fields start after the last ")", as in prometheus/procfs.
 */
function splitPidStat(text: string, lastIndex: number): { head: string; comm: string; after: string[] } {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new ParseError(`no "(comm)" in ${JSON.stringify(text.slice(0, 60))}`);
  const after = fields(text.slice(close + 1));
  if (after.length <= lastIndex) throw new ParseError(`${after.length} fields after comm, expected at least ${lastIndex + 1}`);
  const state = after[AFTER_COMM.state] as string;
  if (!/^[A-Za-z]$/.test(state)) throw new ParseError(`state: expected one letter, got ${JSON.stringify(state)}`);
  return { head: text.slice(0, open).trim(), comm: text.slice(open + 1, close), after };
}

export function parsePidStat(text: string): PidStat {
  const { after } = splitPidStat(text, AFTER_COMM.numThreads);
  return { state: after[AFTER_COMM.state] as string, numThreads: parseInt10(after[AFTER_COMM.numThreads], 'num_threads') };
}

/** Needs the fields up to rss (the 24th), which every kernel with num_threads prints. */
export function parsePidStatDetail(text: string): PidStatDetail {
  const { head, comm, after } = splitPidStat(text, AFTER_COMM.rss);
  const uint = (key: keyof typeof AFTER_COMM) => parseUint(after[AFTER_COMM[key]], key);
  return {
    pid: parseUint(head, 'pid'),
    comm,
    state: after[AFTER_COMM.state] as string,
    // A kernel thread's ppid is 0; an orphan's can be that of a subreaper. Never negative.
    ppid: uint('ppid'),
    minorFaults: uint('minflt'),
    majorFaults: uint('majflt'),
    utimeTicks: uint('utime'),
    stimeTicks: uint('stime'),
    numThreads: parseInt10(after[AFTER_COMM.numThreads], 'num_threads'),
    startTicks: uint('starttime'),
    virtualBytes: uint('vsize'),
    // rss is a signed long in the kernel; procfs reads it as an int.
    rssPages: parseInt10(after[AFTER_COMM.rss], 'rss'),
  };
}
