import { fields, parseUint } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** The last three columns of a "cpuN" line of /proc/schedstat. */
export interface SchedstatCpu {
  /** N of "cpuN", as written. */
  readonly cpu: string;
  readonly runningNanoseconds: number;
  readonly waitingNanoseconds: number;
  readonly timeslices: number;
}

const CPU_LINE = /^cpu(\d+)$/;

/**
 * /proc/schedstat (version 15+): "cpuN" lines of 9 counters, of which the 7th to 9th are the
 * time spent running, the time spent waiting to run (both in ns) and the timeslices run.
 * version, timestamp and domain lines are skipped. Counters past the 9th are ignored.
 */
export function parseSchedstat(text: string): SchedstatCpu[] {
  const cpus: SchedstatCpu[] = [];
  for (const line of text.split('\n')) {
    const [name, ...values] = fields(line);
    const cpu = name === undefined ? null : CPU_LINE.exec(name);
    if (!cpu) continue;
    if (values.length < 9) throw new ParseError(`${name}: ${values.length} counters, expected at least 9`);
    const counters = values.slice(0, 9).map((v, i) => parseUint(v, `${name} counter ${i + 1}`));
    cpus.push({
      cpu: cpu[1] as string,
      runningNanoseconds: counters[6] as number,
      waitingNanoseconds: counters[7] as number,
      timeslices: counters[8] as number,
    });
  }
  if (cpus.length === 0) throw new ParseError('no cpu lines');
  return cpus;
}
