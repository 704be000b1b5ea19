import { FieldScanner, parseUint, plainDigits } from './parse.js';

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
  const scan = new FieldScanner(text);
  for (let index = 0; scan.nextLine(); index++) {
    let count = 0;
    let deviceStart = 0;
    let deviceEnd = 0;
    const numbers: number[] = [];
    while (count < 3 + MAX_DISK_STATS && scan.nextField()) {
      if (count === 2) {
        deviceStart = scan.start;
        deviceEnd = scan.end;
      } else {
        let value = plainDigits(text, scan.start, scan.end);
        if (Number.isNaN(value)) value = parseUint(scan.field(), `line ${index + 1} field ${count + 1}`);
        numbers.push(value);
      }
      count++;
    }
    if (count < 3 + MIN_DISK_STATS) continue;
    disks.push({
      major: numbers[0] as number,
      minor: numbers[1] as number,
      device: text.slice(deviceStart, deviceEnd),
      stats: numbers.slice(2),
    });
  }
  return disks;
}
