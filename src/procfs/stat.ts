import { fields, parseFloatStrict, parseUint } from './parse.js';
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
  for (const line of text.split('\n')) {
    const [key, ...values] = fields(line);
    if (key === undefined) continue;
    if (!isKnownKey(key)) continue;
    if (values.length === 0) throw new ParseError(`line ${JSON.stringify(key)} has no values`);
    known++;
    if (key.startsWith('cpu')) {
      const times = parseCpuTimes(values, key);
      if (key === 'cpu') stat.cpuTotal = times;
      else stat.cpus.set(parseUint(key.slice(3), `${key}: cpu number`), times);
    } else if (key === 'intr') {
      stat.interrupts = parseUint(values[0], 'intr');
      // procfs parses every per-IRQ count too and fails the whole file on a bad one.
      values.slice(1).forEach((v, i) => parseUint(v, `intr${i}`));
    } else if (key === 'softirq') {
      stat.softirqTotal = parseUint(values[0], 'softirq');
      stat.softirqs = parseSoftirqs(values.slice(1));
    } else {
      stat[SINGLE_VALUE_KEYS.get(key) as SingleValueField] = parseUint(values[0], key);
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

function isKnownKey(key: string): boolean {
  return key.startsWith('cpu') || key === 'intr' || key === 'softirq' || SINGLE_VALUE_KEYS.has(key);
}

function parseCpuTimes(values: string[], key: string): CpuTimes {
  const times = {} as CpuTimes;
  CPU_TIME_FIELDS.forEach((field, i) => {
    const raw = values[i];
    times[field] = raw === undefined ? 0 : parseFloatStrict(raw, `${key} ${field}`) / USER_HZ;
  });
  return times;
}

/** procfs requires all 10 vectors (kernels since 2.6.33 print them); later ones are ignored. */
function parseSoftirqs(values: string[]): Record<SoftirqVector, number> {
  if (values.length < SOFTIRQ_VECTORS.length) {
    throw new ParseError(`softirq: expected ${SOFTIRQ_VECTORS.length} vectors after the total, got ${values.length}`);
  }
  const counts = {} as Record<SoftirqVector, number>;
  SOFTIRQ_VECTORS.forEach((vector, i) => {
    counts[vector] = parseUint(values[i], `softirq ${vector}`);
  });
  return counts;
}
