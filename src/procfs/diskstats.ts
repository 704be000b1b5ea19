import { fields, parseUint } from './parse.js';

/** Fewest counters a line must have to be listed: the 11 every kernel since 2.6 writes per disk. */
export const MIN_DISK_STATS = 11;
/** Counters read per line: 11, then 4 discard counters (Linux 4.18), then 2 flush counters (5.5). */
export const MAX_DISK_STATS = 17;

export interface DiskStats {
  readonly major: number;
  readonly minor: number;
  readonly device: string;
  /**
   * The counters after the device name, in the kernel's order (Documentation/admin-guide/
   * iostats.rst), as many as the line has, at most MAX_DISK_STATS.
   */
  readonly stats: readonly number[];
}

/**
 * /proc/diskstats: "major minor name" then the counters. Like prometheus/procfs, a line with
 * fewer than MIN_DISK_STATS counters is left out (2.6 kernels wrote 4 for partitions, and a
 * blank line has none), fields past the 17th are ignored, and a non-numeric field among the
 * first 20 fails the whole file.
 */
export function parseDiskstats(text: string): DiskStats[] {
  const disks: DiskStats[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    const f = fields(line).slice(0, 3 + MAX_DISK_STATS);
    const where = `line ${index + 1}`;
    const numbers = f.map((field, i) => (i === 2 ? NaN : parseUint(field, `${where} field ${i + 1}`)));
    if (f.length < 3 + MIN_DISK_STATS) continue;
    disks.push({
      major: numbers[0] as number,
      minor: numbers[1] as number,
      device: f[2] as string,
      stats: numbers.slice(3),
    });
  }
  return disks;
}

