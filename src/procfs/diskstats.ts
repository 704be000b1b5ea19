import { FieldScanner, parseUint, plainDigits, textIs } from './parse.js';

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
export function parseDiskstats(text: string, previous?: readonly DiskStats[]): DiskStats[] {
  const disks: DiskStats[] = [];
  const scan = new FieldScanner(text);
  for (let index = 0; scan.nextLine(); index++) {
    // Counted first, so the counters go straight into an array of their size, and a line
    // that is left out gets none (its fields are still checked).
    const fieldCount = Math.min(scan.remainingFields(), 3 + MAX_DISK_STATS);
    const listed = fieldCount >= 3 + MIN_DISK_STATS;
    const stats = listed ? new Array<number>(fieldCount - 3) : undefined;
    let major = 0;
    let minor = 0;
    let deviceStart = 0;
    let deviceEnd = 0;
    for (let count = 0; count < fieldCount && scan.nextField(); count++) {
      if (count === 2) {
        deviceStart = scan.start;
        deviceEnd = scan.end;
        continue;
      }
      let value = plainDigits(text, scan.start, scan.end);
      if (Number.isNaN(value)) value = parseUint(scan.field(), `line ${index + 1} field ${count + 1}`);
      if (count === 0) major = value;
      else if (count === 1) minor = value;
      else if (stats) stats[count - 3] = value;
    }
    if (!stats) continue;
    // The kernel lists the same devices in the same order on every read: a name equal to the
    // previous parse's at the same place is taken from there rather than sliced again.
    const known = previous?.[disks.length]?.device;
    const same = known !== undefined && textIs(text, deviceStart, deviceEnd, known);
    disks.push({ major, minor, device: same ? known : text.slice(deviceStart, deviceEnd), stats });
  }
  return disks;
}
