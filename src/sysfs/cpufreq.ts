/** /sys/devices/system/cpu/cpuN/cpufreq (Documentation/admin-guide/pm/cpufreq.rst). */
import { parseUint } from '../procfs/parse.js';

/** The cpuN entries, as node_exporter's glob `cpu[0-9]*` finds them, sorted. */
export function cpuEntries(entries: readonly string[]): string[] {
  return entries.filter((e) => /^cpu[0-9]/.test(e)).sort();
}

/** A frequency file (cpuinfo_cur_freq, scaling_max_freq, ...): kHz, exported in Hz. */
export function parseKilohertz(text: string, what: string): number {
  return parseUint(text.trim(), what) * 1000.0;
}

/**
 * node_cpu_scaling_governor's series: each of scaling_available_governors (split on single
 * spaces, as node_exporter does) with 1 for the current governor and 0 for the others.
 */
export function governorStates(available: string, current: string): Array<[string, number]> {
  return available.trim().split(' ').map((g) => [g, g === current.trim() ? 1 : 0]);
}
