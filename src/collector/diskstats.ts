import { stat } from 'node:fs/promises';
import { defineFlag } from '../cli/flags.js';
import { desc, type MetricDesc } from '../exposition/model.js';
import type { Logger } from '../lib/log.js';
import { parseDiskstats, type DiskStats } from '../procfs/diskstats.js';
import { parseFloatStrict, parseUint } from '../procfs/parse.js';
import { parseUdevProperties, udevBlockDeviceFile } from '../hostfs/udev.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';
import { filterFlags, filterFromFlags } from './device-filter.js';
import { NoDataError, isNotFound } from '../hostfs/errors.js';

/** Partitions and ram, zram, loop and floppy devices, whose I/O is counted on the disk too. */
const DEFAULT_EXCLUDE = '^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$';

/** The kernel counts sectors of 512 bytes whatever the device's block size (block/stat.rst). */
const SECTOR_BYTES = 512;
const MS = 0.001;

const counter = (name: string, help: string): MetricDesc => desc(`node_disk_${name}`, help, 'counter', ['device']);

/** One entry per /proc/diskstats counter, in the kernel's order, with the factor to its unit. */
const STATS: ReadonlyArray<readonly [MetricDesc, number]> = [
  [counter('reads_completed_total', 'The total number of reads completed successfully.'), 1],
  [counter('reads_merged_total', 'The total number of reads merged.'), 1],
  [counter('read_bytes_total', 'The total number of bytes read successfully.'), SECTOR_BYTES],
  [counter('read_time_seconds_total', 'The total number of seconds spent by all reads.'), MS],
  [counter('writes_completed_total', 'The total number of writes completed successfully.'), 1],
  [counter('writes_merged_total', 'The number of writes merged.'), 1],
  [counter('written_bytes_total', 'The total number of bytes written successfully.'), SECTOR_BYTES],
  [counter('write_time_seconds_total', 'This is the total number of seconds spent by all writes.'), MS],
  [desc('node_disk_io_now', 'The number of I/Os currently in progress.', 'gauge', ['device']), 1],
  [counter('io_time_seconds_total', 'Total seconds spent doing I/Os.'), MS],
  [counter('io_time_weighted_seconds_total', 'The weighted # of seconds spent doing I/Os.'), MS],
  [counter('discards_completed_total', 'The total number of discards completed successfully.'), 1],
  [counter('discards_merged_total', 'The total number of discards merged.'), 1],
  // Unlike reads and writes, node_exporter leaves discards in sectors.
  [counter('discarded_sectors_total', 'The total number of sectors discarded successfully.'), 1],
  [counter('discard_time_seconds_total', 'This is the total number of seconds spent by all discards.'), MS],
  // node_exporter's help has no trailing period here.
  [counter('flush_requests_total', 'The total number of flush requests completed successfully'), 1],
  [counter('flush_requests_time_seconds_total', 'This is the total number of seconds spent by all flush requests.'), MS],
];

const info = desc('node_disk_info', 'Info of /sys/block/<block_device>.', 'gauge', [
  'device', 'major', 'minor', 'path', 'wwn', 'model', 'serial', 'revision', 'rotational',
]);
const filesystemInfo = desc('node_disk_filesystem_info', 'Info about disk filesystem.', 'gauge', ['device', 'type', 'usage', 'uuid', 'version']);
const deviceMapperInfo = desc('node_disk_device_mapper_info', 'Info about disk device mapper.', 'gauge', [
  'device', 'name', 'uuid', 'vg_name', 'lv_name', 'lv_layer',
]);
/** Emitted for ATA disks (udev ID_ATA set), each when its udev property is present. */
const ATA: ReadonlyArray<readonly [property: string, MetricDesc]> = [
  ['ID_ATA_WRITE_CACHE', desc('node_disk_ata_write_cache', 'ATA disk has a write cache.', 'gauge', ['device'])],
  ['ID_ATA_WRITE_CACHE_ENABLED', desc('node_disk_ata_write_cache_enabled', 'ATA disk has its write cache enabled.', 'gauge', ['device'])],
  ['ID_ATA_ROTATION_RATE_RPM', desc('node_disk_ata_rotation_rate_rpm', 'ATA disk rotation rate in RPMs (0 for SSDs).', 'gauge', ['device'])],
];

/** udev properties of a disk, or none when --path.udev.data is unusable or has no file for it. */
async function udevProperties(host: HostFs, dir: string | undefined, disk: DiskStats, log: Logger, signal: AbortSignal): Promise<Map<string, string>> {
  if (dir === undefined) return new Map();
  try {
    return parseUdevProperties(await host.readText(udevBlockDeviceFile(dir, disk.major, disk.minor), signal));
  } catch (err) {
    log.debug('Failed to parse udev info', { err });
    return new Map();
  }
}

/** "1" for a spinning disk, "0" otherwise, and "0" when sysfs has no answer, as node_exporter. */
async function rotational(host: HostFs, device: string, signal: AbortSignal): Promise<string> {
  try {
    const text = await host.readText(host.paths.sys('block', device, 'queue', 'rotational'), signal);
    return parseUint(text.trim(), 'rotational') === 1 ? '1' : '0';
  } catch {
    return '0';
  }
}

/**
 * --path.udev.data if it is a directory; checked once, at start, where node_exporter checks it.
 * node_exporter logs its absence as an error. In a container, this exporter's usual place, the
 * default directory is normally absent: that is said once at info; a directory the user named
 * and that is not there stays an error.
 */
async function udevDataDir(dir: string, log: Logger): Promise<string | undefined> {
  const isDirectory = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (isDirectory) return dir;
  if (dir === DEFAULT_UDEV_DATA) log.info('No udev data (normal in a container): node_disk_info has no udev device properties', { path: dir });
  else log.error('Failed to open directory, disabling udev device properties', { path: dir });
  return undefined;
}

const DEFAULT_UDEV_DATA = '/run/udev/data';

const DEVICE_FLAGS = filterFlags('collector.diskstats.device', 'diskstats devices', DEFAULT_EXCLUDE);
const UDEV_FLAG = defineFlag({ name: 'path.udev.data', kind: 'string', default: DEFAULT_UDEV_DATA, help: 'udev data path.' });

export const diskstatsCollector: CollectorFactory = {
  name: 'diskstats',
  defaultEnabled: true,
  flags: [
    ...DEVICE_FLAGS,
    UDEV_FLAG,
  ],
  create: ({ host, host: { paths }, flags, log }) => {
    const filter = filterFromFlags(flags, DEVICE_FLAGS);
    // Started now, so a bad directory is logged at start; never rejects.
    const udevDirChecked = udevDataDir(flags.get(UDEV_FLAG), log);
    // The last scrape's parse, whose device names are reused while the kernel lists the same.
    let last: DiskStats[] | undefined;
    const parse = (text: string) => parseDiskstats(text, last);
    return {
      async update(sink, signal) {
        const file = paths.proc('diskstats');
        const disks = await host.parseFile(file, parse, signal).catch((err: Error) => {
          throw isNotFound(err) ? new NoDataError(`${file} not found`) : err;
        });
        last = disks;
        const kept = disks.filter((d) => !filter.ignored(d.device));
        const udevDir = await udevDirChecked;
        const extras = await Promise.all(
          kept.map((d) => Promise.all([udevProperties(host, udevDir, d, log, signal), rotational(host, d.device, signal)])),
        );
        kept.forEach((disk, i) => {
          const [udev, rotation] = extras[i] as [Map<string, string>, string];
          const dev = disk.device;
          const prop = (key: string): string => udev.get(key) ?? '';
          // The serial printed on the label, else the short serial, else ID_SERIAL (virtio disks).
          const serial = prop('SCSI_IDENT_SERIAL') || prop('ID_SERIAL_SHORT') || prop('ID_SERIAL');
          sink.add(info, 1, dev, String(disk.major), String(disk.minor), prop('ID_PATH'), prop('ID_WWN'), prop('ID_MODEL'),
            serial, prop('ID_REVISION'), rotation);
          // One label set for the disk's counters (they never change it).
          const labels = { device: dev };
          for (let s = 0; s < disk.stats.length; s++) {
            const [d, factor] = STATS[s] as readonly [MetricDesc, number];
            sink.addWithLabels(d, labels, (disk.stats[s] as number) * factor);
          }
          if (prop('ID_FS_TYPE') !== '') {
            sink.add(filesystemInfo, 1, dev, prop('ID_FS_TYPE'), prop('ID_FS_USAGE'), prop('ID_FS_UUID'), prop('ID_FS_VERSION'));
          }
          if (prop('DM_NAME') !== '') {
            sink.add(deviceMapperInfo, 1, dev, prop('DM_NAME'), prop('DM_UUID'), prop('DM_VG_NAME'), prop('DM_LV_NAME'), prop('DM_LV_LAYER'));
          }
          if (prop('ID_ATA') !== '') {
            for (const [property, d] of ATA) {
              const text = udev.get(property);
              if (text === undefined) continue;
              try {
                sink.add(d, parseFloatStrict(text, property), dev);
              } catch (err) {
                log.error('Failed to parse ATA value', { err });
              }
            }
          }
        });
      },
    };
  },
};
