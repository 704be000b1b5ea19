/**
 * filesystem on macOS/Windows: size, free and available bytes (and read-only state) per mount
 * from systeminformation's fsSize() (df and mount on macOS, CIM on Windows), refreshed in the
 * background. Labels and filter flags are the Linux collector's; the default excludes are
 * node_exporter's for macOS.
 */
import type { CollectorFactory } from '../collector/collector.js';
import { filterFlags, filterFromFlags } from '../collector/device-filter.js';
import { desc } from '../exposition/model.js';
import { changingValue } from './refresher.js';
import type { FallbackDeps, FsSizeData } from './system-info.js';
import { NoDataError } from '../hostfs/errors.js';

const MOUNT_POINTS = filterFlags('collector.filesystem.mount-points', 'mount points', '^/(dev)($|/)');
const FS_TYPES = filterFlags('collector.filesystem.fs-types', 'filesystem types', '^devfs$');

const LABELS = ['device', 'mountpoint', 'fstype', 'device_error'];
const sizeBytes = desc('node_filesystem_size_bytes', 'Filesystem size in bytes.', 'gauge', LABELS);
const freeBytes = desc('node_filesystem_free_bytes', 'Filesystem free space in bytes.', 'gauge', LABELS);
const availBytes = desc('node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.', 'gauge', LABELS);
const readonly = desc('node_filesystem_readonly', 'Filesystem read-only status.', 'gauge', LABELS);

export function fallbackFilesystemCollector(deps: FallbackDeps): CollectorFactory {
  return {
    name: 'filesystem',
    defaultEnabled: true,
    flags: [...MOUNT_POINTS, ...FS_TYPES],
    create: ({ flags, log }) => {
      const mountPoints = filterFromFlags(flags, MOUNT_POINTS);
      const fsTypes = filterFromFlags(flags, FS_TYPES);
      const filesystems = changingValue(deps, log, 'systeminformation fsSize()', () => deps.si.fsSize());
      return {
        async update(sink) {
          const list: FsSizeData[] = filesystems.current;
          // fsSize() does not reject when df fails; it returns an empty list.
          if (list.length === 0) throw new NoDataError('systeminformation fsSize() found no filesystems');
          const seen = new Set<string>();
          for (const fs of list) {
            if (mountPoints.ignored(fs.mount) || fsTypes.ignored(fs.type)) continue;
            const labels = [fs.fs, fs.mount, fs.type, ''];
            const key = JSON.stringify(labels);
            if (seen.has(key)) continue;
            seen.add(key);
            if (fs.rw !== null) sink.add(readonly, fs.rw ? 0 : 1, ...labels);
            sink.add(sizeBytes, fs.size, ...labels);
            // df's "used" is blocks minus free blocks, so this is the root-inclusive free space.
            sink.add(freeBytes, fs.size - fs.used, ...labels);
            sink.add(availBytes, fs.available, ...labels);
          }
        },
        close: () => filesystems.close(),
      };
    },
  };
}
