import { desc } from '../exposition/model.js';
import { COLLECTOR_TIMEOUT_FLAG } from '../cli/core-flags.js';
import { defineFlag, type Flag, FlagError, type ParsedFlags } from '../cli/flags.js';
import { goValidUtf8 } from '../gocompat/utf8.js';
import type { Logger } from '../lib/log.js';
import { type MountInfo, parseMountinfo } from '../procfs/mountinfo.js';
import { MountStatfs, type StatfsOutcome } from '../statfs/mount-statfs.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';
import { DeviceFilter, filterFlags, filterFromFlags, type FilterFlags } from './device-filter.js';
import type { UserRegex } from '../gocompat/user-regex.js';
import type { MetricSink } from './sink.js';
import { NoDataError, isNotFound } from '../hostfs/errors.js';

const DEFAULT_MOUNT_POINTS_EXCLUDE = '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';
const DEFAULT_FS_TYPES_EXCLUDE =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$';

const MOUNT_POINTS = filterFlags('collector.filesystem.mount-points', 'mount points', DEFAULT_MOUNT_POINTS_EXCLUDE);
const FS_TYPES = filterFlags('collector.filesystem.fs-types', 'filesystem types', DEFAULT_FS_TYPES_EXCLUDE);
const DEPRECATED_MOUNT_POINTS = defineFlag({
  name: 'collector.filesystem.ignored-mount-points',
  kind: 'regex',
  help: `Deprecated: use --${MOUNT_POINTS.exclude.name}.`,
});
const DEPRECATED_FS_TYPES = defineFlag({ name: 'collector.filesystem.ignored-fs-types', kind: 'regex', help: `Deprecated: use --${FS_TYPES.exclude.name}.` });
const MOUNT_TIMEOUT = defineFlag({
  name: 'collector.filesystem.mount-timeout',
  kind: 'duration',
  default: '5s',
  help: 'How long to wait for a mount to respond before marking it as stale; a stale mount is not asked again until its earlier statfs returns.',
});
const STAT_WORKERS = defineFlag({
  name: 'collector.filesystem.stat-workers',
  kind: 'int',
  default: '4',
  min: 1,
  help: 'How many statfs calls to process simultaneously (on libuv\'s thread pool, always leaving one of its threads to other reads).',
});

/** node_exporter's device_error label for a mount whose statfs has not answered. */
export const MOUNT_TIMEOUT_ERROR = 'mountpoint timeout';

/** Left of the collector deadline when it is shorter than the mount timeout, to still answer. */
const DEADLINE_SHARE = 0.9;

const LABELS = ['device', 'mountpoint', 'fstype', 'device_error'];
const sizeBytes = desc('node_filesystem_size_bytes', 'Filesystem size in bytes.', 'gauge', LABELS);
const freeBytes = desc('node_filesystem_free_bytes', 'Filesystem free space in bytes.', 'gauge', LABELS);
const availBytes = desc('node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.', 'gauge', LABELS);
const files = desc('node_filesystem_files', 'Filesystem total file nodes.', 'gauge', LABELS);
const filesFree = desc('node_filesystem_files_free', 'Filesystem total free file nodes.', 'gauge', LABELS);
const readOnly = desc('node_filesystem_readonly', 'Filesystem read-only status.', 'gauge', LABELS);
const deviceError = desc(
  'node_filesystem_device_error',
  'Whether an error occurred while getting statistics for the given device.',
  'gauge',
  LABELS,
);
const mountInfo = desc('node_filesystem_mount_info', 'Filesystem mount information.', 'gauge', ['device', 'major', 'minor', 'mountpoint']);

/** A mount as reported: host mountpoint (rootfs prefix stripped) and where to statfs it. */
interface Mount {
  readonly device: string;
  readonly mountpoint: string;
  readonly fstype: string;
  readonly major: string;
  readonly minor: string;
  readonly readOnly: boolean;
  readonly statfsPath: string;
}

/**
 * The host's mounts (pid 1's namespace), or the exporter's own where pid 1 is hidden (hidepid).
 * The file is decoded as Latin-1, one character per byte, so that labelText can fix invalid
 * UTF-8 as Go does, from the bytes.
 */
async function readMounts(host: HostFs, signal: AbortSignal, log: Logger): Promise<MountInfo[]> {
  let text: string;
  try {
    text = (await host.readBytes(host.paths.proc('1', 'mountinfo'), signal)).toString('latin1');
  } catch (err) {
    if (!isNotFound(err)) throw err;
    log.debug('Reading root mounts failed, falling back to self mounts', { err });
    try {
      text = (await host.readBytes(host.paths.proc('self', 'mountinfo'), signal)).toString('latin1');
    } catch (selfErr) {
      if (isNotFound(selfErr)) throw new NoDataError(`no mountinfo under ${host.paths.procfs}`);
      throw selfErr;
    }
  }
  try {
    return parseMountinfo(text);
  } catch (err) {
    throw new Error(`parsing mountinfo: ${(err as Error).message}`, { cause: err });
  }
}

/** A mountinfo field (Latin-1, one character per byte) as a label: Go's strings.ToValidUTF8 of its bytes. */
function labelText(field: string): string {
  return NON_ASCII.test(field) ? goValidUtf8(Buffer.from(field, 'latin1')) : field;
}
const NON_ASCII = /[^\x00-\x7f]/;

/** An include/exclude pair that also honours node_exporter's hidden, deprecated ignored-* flag. */
function filterWithDeprecated(flags: ParsedFlags, pair: FilterFlags, deprecated: Flag<UserRegex | undefined>, log: Logger): DeviceFilter {
  const old = flags.get(deprecated);
  if (!old) return filterFromFlags(flags, pair);
  if (flags.isExplicit(pair.exclude)) throw new FlagError(`--${deprecated.name} and --${pair.exclude.name} are mutually exclusive`);
  if (flags.get(pair.include)) throw new FlagError(`--${pair.exclude.name} and --${pair.include.name} are mutually exclusive`);
  log.warn(`--${deprecated.name} is DEPRECATED and will be removed in 2.0.0, use --${pair.exclude.name}`);
  return new DeviceFilter(old);
}

function addMount(sink: MetricSink, m: Mount, outcome: StatfsOutcome): void {
  const ro = m.readOnly ? 1 : 0;
  if (outcome.kind !== 'ok') {
    const error = outcome.kind === 'error' ? outcome.error : MOUNT_TIMEOUT_ERROR;
    sink.add(deviceError, 1, m.device, m.mountpoint, m.fstype, error);
    sink.add(readOnly, ro, m.device, m.mountpoint, m.fstype, error);
    return;
  }
  const s = outcome.stats;
  const labels = [m.device, m.mountpoint, m.fstype, ''];
  sink.add(deviceError, 0, ...labels);
  sink.add(readOnly, ro, ...labels);
  sink.add(sizeBytes, s.blocks * s.bsize, ...labels);
  sink.add(freeBytes, s.bfree * s.bsize, ...labels);
  sink.add(availBytes, s.bavail * s.bsize, ...labels);
  sink.add(files, s.files, ...labels);
  sink.add(filesFree, s.ffree, ...labels);
}

export const filesystemCollector: CollectorFactory = {
  name: 'filesystem',
  defaultEnabled: true,
  flags: [
    MOUNT_POINTS.include,
    MOUNT_POINTS.exclude,
    FS_TYPES.include,
    FS_TYPES.exclude,
    DEPRECATED_MOUNT_POINTS,
    DEPRECATED_FS_TYPES,
    MOUNT_TIMEOUT,
    STAT_WORKERS,
  ],
  create: ({ host, host: { paths }, flags, log }) => {
    const mountPoints = filterWithDeprecated(flags, MOUNT_POINTS, DEPRECATED_MOUNT_POINTS, log);
    const fsTypes = filterWithDeprecated(flags, FS_TYPES, DEPRECATED_FS_TYPES, log);
    const mountTimeoutMs = flags.get(MOUNT_TIMEOUT);
    if (mountTimeoutMs <= 0) throw new FlagError(`--${MOUNT_TIMEOUT.name} must be above 0`);
    // Answer even when the collector's own deadline is shorter than the mount timeout.
    const collectorTimeoutMs = flags.get(COLLECTOR_TIMEOUT_FLAG);
    const answerWithinMs = Math.min(mountTimeoutMs, collectorTimeoutMs * DEADLINE_SHARE);
    const statfs = new MountStatfs({ host, mountTimeoutMs, concurrency: flags.get(STAT_WORKERS), log });

    return {
      close: () => statfs.close(),
      async update(sink, signal) {
        const mounts: Mount[] = [];
        for (const m of await readMounts(host, signal, log)) {
          const mountpoint = labelText(paths.stripRootfs(m.mountPoint));
          if (mountPoints.ignored(mountpoint)) {
            log.debug('Ignoring mount point', { mountpoint });
            continue;
          }
          const fstype = labelText(m.fsType);
          if (fsTypes.ignored(fstype)) {
            log.debug('Ignoring fs type', { type: fstype });
            continue;
          }
          mounts.push({
            device: labelText(m.source),
            mountpoint,
            fstype,
            major: String(m.major),
            minor: String(m.minor),
            readOnly: m.options.includes('ro') || m.superOptions.includes('ro') || m.superOptions.includes('emergency_ro'),
            statfsPath: paths.root(mountpoint),
          });
        }
        const outcomes = await statfs.statfsAll(
          mounts.map((m) => m.statfsPath),
          answerWithinMs,
        );
        // The same mount can be listed twice (over-mounts, the same device mounted twice with
        // other options): the first one is reported, as a label set may appear only once.
        const seen = new Set<string>();
        for (const m of mounts) {
          const outcome = outcomes.get(m.statfsPath) as StatfsOutcome;
          if (outcome.kind === 'timeout') log.debug('Mount point is in an unresponsive state', { mountpoint: m.mountpoint });
          if (outcome.kind === 'error') log.debug('Error on statfs() system call', { rootfs: m.statfsPath, err: outcome.error });
          const series = JSON.stringify(['fs', m.device, m.mountpoint, m.fstype]);
          if (!seen.has(series)) addMount(sink, m, outcome);
          seen.add(series);
          const info = JSON.stringify(['info', m.device, m.major, m.minor, m.mountpoint]);
          if (outcome.kind === 'ok' && !seen.has(info)) sink.add(mountInfo, 1, m.device, m.major, m.minor, m.mountpoint);
          seen.add(info);
        }
      },
    };
  },
};
