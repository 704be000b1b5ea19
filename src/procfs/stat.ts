import { FieldScanner, parseFloatStrict, parseUint, plainDigits } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/**
 * /proc/stat counts CPU time in USER_HZ ticks, which the kernel fixes at 100 for user space on
 * every architecture; prometheus/procfs hardcodes it the same way instead of asking sysconf.
 */
export const USER_HZ = 100;

/** The per-CPU time columns, in the kernel's order; older kernels print only a prefix. */
export const CPU_TIME_FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guestNice'] as const;
export type CpuTimeField = (typeof CPU_TIME_FIELDS)[number];

/** Seconds (ticks / USER_HZ) spent in each mode; columns the kernel did not print are 0. */
export type CpuTimes = Record<CpuTimeField, number>;

/** The softirq vectors in the kernel's column order, named as node_exporter labels them. */
export const SOFTIRQ_VECTORS = ['hi', 'timer', 'net_tx', 'net_rx', 'block', 'block_iopoll', 'tasklet', 'sched', 'hrtimer', 'rcu'] as const;
export type SoftirqVector = (typeof SOFTIRQ_VECTORS)[number];

/** /proc/stat. A field is undefined when its line is absent. */
export interface ProcStat {
  /** The aggregate `cpu` line. */
  cpuTotal?: CpuTimes;
  /** The `cpuN` lines, keyed by N. */
  cpus: Map<number, CpuTimes>;
  /** `intr`: the total of all interrupts (the first number). */
  interrupts?: number;
  contextSwitches?: number;
  /** `btime`: boot time in seconds since the epoch. */
  bootTime?: number;
  /** `processes`: forks since boot. */
  forks?: number;
  procsRunning?: number;
  procsBlocked?: number;
  softirqTotal?: number;
  softirqs?: Record<SoftirqVector, number>;
}

/**
 * Parses /proc/stat the way prometheus/procfs does: unknown lines are ignored, a `cpu` line may
 * be shorter than 10 columns (older kernels) and columns past the 10th are ignored. Stricter than
 * procfs where it would silently report zeros: a known key without a value, or a file with no
 * known line at all, is a ParseError.
 */
export function parseStat(text: string): ProcStat {
  const stat: ProcStat = { cpus: new Map() };
  let known = 0;
  const scan = new FieldScanner(text);
  while (scan.nextLine()) {
    if (!scan.nextField()) continue;
    const { start: keyStart, end: keyEnd } = scan;
    const isCpu = text.startsWith('cpu', keyStart);
    const key = isCpu ? 'cpu' : lineKeyAt(scan);
    if (key === undefined) continue;
    if (scan.remainingFields() === 0) throw new ParseError(`line ${JSON.stringify(scan.field())} has no values`);
    known++;
    if (isCpu) {
      const times = parseCpuTimes(scan, keyStart, keyEnd);
      if (keyEnd - keyStart === 3) stat.cpuTotal = times;
      else {
        let cpu = plainDigits(text, keyStart + 3, keyEnd);
        if (Number.isNaN(cpu)) cpu = parseUint(text.slice(keyStart + 3, keyEnd), `${text.slice(keyStart, keyEnd)}: cpu number`);
        stat.cpus.set(cpu, times);
      }
      continue;
    }
    scan.nextField();
    const first = scan.uint(key);
    if (key === 'intr') {
      stat.interrupts = first;
      // procfs parses every per-IRQ count too and fails the whole file on a bad one.
      for (let i = 0; scan.nextField(); i++) {
        if (Number.isNaN(plainDigits(text, scan.start, scan.end))) parseUint(scan.field(), `intr${i}`);
      }
    } else if (key === 'softirq') {
      stat.softirqTotal = first;
      stat.softirqs = parseSoftirqs(scan);
    } else {
      stat[SINGLE_VALUE_KEYS.get(key) as SingleValueField] = first;
    }
  }
  if (known === 0) throw new ParseError('no cpu, intr, ctxt, btime, processes, procs_* or softirq line');
  return stat;
}

type SingleValueField = 'contextSwitches' | 'bootTime' | 'forks' | 'procsRunning' | 'procsBlocked';

const SINGLE_VALUE_KEYS: ReadonlyMap<string, SingleValueField> = new Map([
  ['ctxt', 'contextSwitches'],
  ['btime', 'bootTime'],
  ['processes', 'forks'],
  ['procs_running', 'procsRunning'],
  ['procs_blocked', 'procsBlocked'],
]);

/** The line keys parsed besides `cpu*`. */
const LINE_KEYS: readonly string[] = ['intr', 'softirq', ...SINGLE_VALUE_KEYS.keys()];

/** The known key the scanner is on, if it is one. */
function lineKeyAt(scan: FieldScanner): string | undefined {
  for (const key of LINE_KEYS) if (scan.fieldIs(key)) return key;
  return undefined;
}

/** Reads the time columns of the `cpu*` line whose key is text[keyStart, keyEnd). */
function parseCpuTimes(scan: FieldScanner, keyStart: number, keyEnd: number): CpuTimes {
  const times: CpuTimes = { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 };
  for (const field of CPU_TIME_FIELDS) {
    if (!scan.nextField()) break;
    let ticks = plainDigits(scan.text, scan.start, scan.end);
    if (Number.isNaN(ticks)) ticks = parseFloatStrict(scan.field(), `${scan.text.slice(keyStart, keyEnd)} ${field}`);
    times[field] = ticks / USER_HZ;
  }
  return times;
}

const SOFTIRQ_WHAT = SOFTIRQ_VECTORS.map((vector) => `softirq ${vector}`);

/** procfs requires all 10 vectors (kernels since 2.6.33 print them); later ones are ignored. */
function parseSoftirqs(scan: FieldScanner): Record<SoftirqVector, number> {
  const count = scan.remainingFields();
  if (count < SOFTIRQ_VECTORS.length) {
    throw new ParseError(`softirq: expected ${SOFTIRQ_VECTORS.length} vectors after the total, got ${count}`);
  }
  const counts = {} as Record<SoftirqVector, number>;
  SOFTIRQ_VECTORS.forEach((vector, i) => {
    scan.nextField();
    counts[vector] = scan.uint(SOFTIRQ_WHAT[i] as string);
  });
  return counts;
}
