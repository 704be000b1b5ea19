import { fieldEnd, intAt, isSpace, skipSpaces, uintAt } from './pid-scan.js';
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

/** Where "(comm)" is and where the fields after it start: stat is read for every process on every scrape, so nothing is split. */
interface PidStatLayout {
  readonly open: number;
  readonly close: number;
  /** Start of each field after comm, up to the last one asked for. */
  readonly starts: number[];
}

/**
 * /proc/<pid>/stat: "pid (comm) state ppid ...". comm may contain spaces and parentheses, so
 * the fields start after the last ")", as in prometheus/procfs.
 */
function layout(text: string, lastIndex: number): PidStatLayout {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new ParseError(`no "(comm)" in ${JSON.stringify(text.slice(0, 60))}`);
  const starts = new Array<number>(lastIndex + 1).fill(0);
  let found = 0;
  // Only the fields up to the last one asked for are found.
  for (let pos = skipSpaces(text, close + 1, text.length); pos < text.length && found <= lastIndex; found++) {
    starts[found] = pos;
    pos = skipSpaces(text, fieldEnd(text, pos, text.length), text.length);
  }
  if (found <= lastIndex) throw new ParseError(`${found} fields after comm, expected at least ${lastIndex + 1}`);
  const state = starts[AFTER_COMM.state] as number;
  const letter = text.charCodeAt(state) | 0x20;
  if (!(letter >= 97 && letter <= 122) || fieldEnd(text, state, text.length) !== state + 1) {
    throw new ParseError(`state: expected one letter, got ${JSON.stringify(text.slice(state, fieldEnd(text, state, text.length)))}`);
  }
  return { open, close, starts };
}

/** The field after comm at `index`, as an unsigned integer (parseUint's number and error). */
function uintField(text: string, starts: readonly number[], index: number, what: string): number {
  const start = starts[index] as number;
  return uintAt(text, start, fieldEnd(text, start, text.length), what);
}

function intField(text: string, starts: readonly number[], index: number, what: string): number {
  const start = starts[index] as number;
  return intAt(text, start, fieldEnd(text, start, text.length), what);
}

/** The pid before "(comm)", trimmed (parseUint's number and error). */
function pidBefore(text: string, open: number): number {
  const start = skipSpaces(text, 0, open);
  let end = open;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return uintAt(text, start, end, 'pid');
}

export function parsePidStat(text: string): PidStat {
  const { starts } = layout(text, AFTER_COMM.numThreads);
  return { state: text[starts[AFTER_COMM.state] as number] as string, numThreads: intField(text, starts, AFTER_COMM.numThreads, 'num_threads') };
}

/** Needs the fields up to rss (the 24th), which every kernel with num_threads prints. */
export function parsePidStatDetail(text: string): PidStatDetail {
  const { open, close, starts } = layout(text, AFTER_COMM.rss);
  return {
    pid: pidBefore(text, open),
    comm: text.slice(open + 1, close),
    state: text[starts[AFTER_COMM.state] as number] as string,
    // A kernel thread's ppid is 0; an orphan's can be that of a subreaper. Never negative.
    ppid: uintField(text, starts, AFTER_COMM.ppid, 'ppid'),
    minorFaults: uintField(text, starts, AFTER_COMM.minflt, 'minflt'),
    majorFaults: uintField(text, starts, AFTER_COMM.majflt, 'majflt'),
    utimeTicks: uintField(text, starts, AFTER_COMM.utime, 'utime'),
    stimeTicks: uintField(text, starts, AFTER_COMM.stime, 'stime'),
    numThreads: intField(text, starts, AFTER_COMM.numThreads, 'num_threads'),
    startTicks: uintField(text, starts, AFTER_COMM.starttime, 'starttime'),
    virtualBytes: uintField(text, starts, AFTER_COMM.vsize, 'vsize'),
    // rss is a signed long in the kernel; procfs reads it as an int.
    rssPages: intField(text, starts, AFTER_COMM.rss, 'rss'),
  };
}
