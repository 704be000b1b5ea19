/**
 * Parsers for the cgroup v1 and v2 interface files the cgroup collector reads: text in, typed
 * record out, ParseError on malformed input.
 */
import { fields, parseInt10, parseUint } from '../procfs/parse.js';
import { fieldEnd, skipSpaces, uintAt } from '../procfs/pid-scan.js';
import { ParseError } from '../lib/parse-error.js';

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/**
 * "key value" lines: memory.stat, memory.events, cpu.stat, cpuacct.stat, memory.oom_control
 * (v1 and v2 alike). Read in place (these are read for every cgroup on every scrape): only the
 * keys are sliced.
 */
export function parseKeyedValues(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const key = skipSpaces(text, start, end);
    if (key < end) {
      const keyEnd = fieldEnd(text, key, end);
      const value = skipSpaces(text, keyEnd, end);
      const valueEnd = fieldEnd(text, value, end);
      if (value === valueEnd || skipSpaces(text, valueEnd, end) !== end) throw new ParseError(`expected "key value", got ${JSON.stringify(text.slice(start, end))}`);
      const name = text.slice(key, keyEnd);
      values.set(name, uintAt(text, value, valueEnd, name));
    }
    start = end + 1;
  }
  return values;
}

/** A file holding one unsigned number (memory.current, memory.usage_in_bytes, cpuacct.usage, ...). */
export function parseCount(text: string): number {
  return parseUint(text.trim(), 'value');
}

/** A v2 limit (memory.max, pids.max, ...): a number or "max", which is Infinity here. */
export function parseLimit(text: string): number {
  const t = text.trim();
  return t === 'max' ? Infinity : parseUint(t, 'limit');
}

export interface CpuMax {
  /** Microseconds per period; undefined for "max" (no quota). */
  readonly quotaMicros: number | undefined;
  readonly periodMicros: number;
}

/** v2 cpu.max: "$MAX $PERIOD", e.g. "max 100000" or "150000 100000". */
export function parseCpuMax(text: string): CpuMax {
  const f = fields(text);
  if (f.length !== 2) throw new ParseError(`expected "quota period", got ${JSON.stringify(text.trim())}`);
  return {
    quotaMicros: f[0] === 'max' ? undefined : parseUint(f[0], 'quota'),
    periodMicros: parseUint(f[1], 'period'),
  };
}

/** v1 cpu.cfs_quota_us: microseconds, or -1 for no quota (undefined here). */
export function parseCfsQuota(text: string): number | undefined {
  const quota = parseInt10(text.trim(), 'cfs_quota_us');
  return quota < 0 ? undefined : quota;
}

/** Bytes read and written on one block device. */
export interface DeviceIo {
  readonly major: number;
  readonly minor: number;
  readonly readBytes: number;
  readonly writeBytes: number;
}

function parseDevice(text: string | undefined): { major: number; minor: number } {
  const m = /^(\d+):(\d+)$/.exec(text ?? '');
  if (!m) throw new ParseError(`expected a device "major:minor", got ${JSON.stringify(text ?? '')}`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/**
 * v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device; other keys
 * (cost.*, ...) are ignored and a device without rbytes/wbytes counts 0, as libcontainer does.
 */
export function parseIoStat(text: string): DeviceIo[] {
  return lines(text).map((line) => {
    const [device, ...pairs] = fields(line);
    const values = new Map<string, string>();
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new ParseError(`expected "key=value", got ${JSON.stringify(pair)} in ${JSON.stringify(line)}`);
      values.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const count = (key: string) => (values.has(key) ? parseUint(values.get(key), key) : 0);
    return { ...parseDevice(device), readBytes: count('rbytes'), writeBytes: count('wbytes') };
  });
}

/**
 * v1 blkio.*io_service_bytes*: "8:0 Read 4096" lines (also Write, Sync, Async, Discard, Total)
 * and a closing "Total N", which is the sum over devices and skipped.
 */
export function parseBlkioServiceBytes(text: string): DeviceIo[] {
  const byDevice = new Map<string, { major: number; minor: number; readBytes: number; writeBytes: number }>();
  for (const line of lines(text)) {
    const f = fields(line);
    if (f[0] === 'Total' && f.length === 2) {
      parseUint(f[1], 'Total');
      continue;
    }
    if (f.length !== 3) throw new ParseError(`expected "major:minor operation bytes", got ${JSON.stringify(line)}`);
    const key = f[0] as string;
    const bytes = parseUint(f[2], `${key} ${f[1]}`);
    let entry = byDevice.get(key);
    if (!entry) byDevice.set(key, (entry = { ...parseDevice(key), readBytes: 0, writeBytes: 0 }));
    if (f[1] === 'Read') entry.readBytes = bytes;
    else if (f[1] === 'Write') entry.writeBytes = bytes;
  }
  return [...byDevice.values()];
}

/** cgroup.procs: one PID a line; the count is the number of processes in that cgroup. */
export function parseProcsCount(text: string): number {
  const pids = lines(text);
  for (const pid of pids) parseUint(pid.trim(), 'pid');
  return pids.length;
}

/** The DEVNAME of a sysfs uevent file (`/sys/dev/block/8:0/uevent`), e.g. "sda". */
export function parseUeventDevname(text: string): string | undefined {
  for (const line of lines(text)) {
    if (line.startsWith('DEVNAME=')) return line.slice('DEVNAME='.length).trim();
  }
  return undefined;
}

/**
 * cAdvisor's CPU shares for a v2 cpu.weight: the kernel's [1, 10000] weight range mapped
 * linearly onto v1's [2, 262144] shares, with Go's integer division.
 */
export function cpuWeightToShares(weight: number): number {
  if (weight < 1 || weight > 10000) throw new ParseError(`cpu.weight out of range [1, 10000]: ${weight}`);
  return 2 + Math.floor(((weight - 1) * 262142) / 9999);
}
