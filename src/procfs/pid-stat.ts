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

/**
 * /proc/<pid>/stat: "pid (comm) state ppid ...". comm may contain spaces and parentheses, so
 * the fields start after the last ")", as in prometheus/procfs. The file is read for every
 * process on every scrape, so it is not split: the fields are walked in place, in order.
 */
class StatFields {
  readonly open: number;
  readonly close: number;
  private readonly stateAt: number;
  /** The start of field `index` after comm (0 is the state). */
  private pos: number;
  private index = 0;

  constructor(
    private readonly text: string,
    lastIndex: number,
  ) {
    this.open = text.indexOf('(');
    this.close = text.lastIndexOf(')');
    if (this.open < 0 || this.close < this.open) throw new ParseError(`no "(comm)" in ${JSON.stringify(text.slice(0, 60))}`);
    this.pos = skipSpaces(text, this.close + 1, text.length);
    this.stateAt = this.pos;
    let found = 0;
    // Counted first, so that a short line is refused as such whatever its fields hold.
    for (let pos = this.pos; pos < text.length && found <= lastIndex; found++) pos = skipSpaces(text, fieldEnd(text, pos, text.length), text.length);
    if (found <= lastIndex) throw new ParseError(`${found} fields after comm, expected at least ${lastIndex + 1}`);
    const stateEnd = fieldEnd(text, this.pos, text.length);
    const letter = text.charCodeAt(this.pos) | 0x20;
    if (stateEnd !== this.pos + 1 || letter < 97 || letter > 122) {
      throw new ParseError(`state: expected one letter, got ${JSON.stringify(text.slice(this.pos, stateEnd))}`);
    }
  }

  /** The state letter (field 0). */
  state(): string {
    return this.text[this.stateAt] as string;
  }

  /** Field `index` (not before the last one read) as parseUint reads it. */
  uint(index: number, what: string): number {
    const start = this.seek(index);
    return uintAt(this.text, start, fieldEnd(this.text, start, this.text.length), what);
  }

  /** Field `index` (not before the last one read) as parseInt10 reads it. */
  int(index: number, what: string): number {
    const start = this.seek(index);
    return intAt(this.text, start, fieldEnd(this.text, start, this.text.length), what);
  }

  private seek(index: number): number {
    for (; this.index < index; this.index++) this.pos = skipSpaces(this.text, fieldEnd(this.text, this.pos, this.text.length), this.text.length);
    return this.pos;
  }
}

/** The pid before "(comm)", trimmed (parseUint's number and error). */
function pidBefore(text: string, open: number): number {
  const start = skipSpaces(text, 0, open);
  let end = open;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return uintAt(text, start, end, 'pid');
}

export function parsePidStat(text: string): PidStat {
  const f = new StatFields(text, AFTER_COMM.numThreads);
  return { state: f.state(), numThreads: f.int(AFTER_COMM.numThreads, 'num_threads') };
}

/** Needs the fields up to rss (the 24th), which every kernel with num_threads prints. */
export function parsePidStatDetail(text: string): PidStatDetail {
  const f = new StatFields(text, AFTER_COMM.rss);
  // In field order: a field is read after the ones before it.
  return {
    pid: pidBefore(text, f.open),
    comm: text.slice(f.open + 1, f.close),
    state: f.state(),
    // A kernel thread's ppid is 0; an orphan's can be that of a subreaper. Never negative.
    ppid: f.uint(AFTER_COMM.ppid, 'ppid'),
    minorFaults: f.uint(AFTER_COMM.minflt, 'minflt'),
    majorFaults: f.uint(AFTER_COMM.majflt, 'majflt'),
    utimeTicks: f.uint(AFTER_COMM.utime, 'utime'),
    stimeTicks: f.uint(AFTER_COMM.stime, 'stime'),
    numThreads: f.int(AFTER_COMM.numThreads, 'num_threads'),
    startTicks: f.uint(AFTER_COMM.starttime, 'starttime'),
    virtualBytes: f.uint(AFTER_COMM.vsize, 'vsize'),
    // rss is a signed long in the kernel; procfs reads it as an int.
    rssPages: f.int(AFTER_COMM.rss, 'rss'),
  };
}
