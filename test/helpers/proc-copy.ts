/**
 * Snapshots the host files that collectors read into a temporary tree, so that our exporter and
 * node_exporter, pointed at the same tree with --path.procfs/--path.sysfs/--path.rootfs, see
 * exactly the same numbers and their outputs can be compared value for value.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Paths relative to one mount; a `*` segment matches any name in that directory. */
export interface HostFiles {
  readonly proc?: readonly string[];
  readonly sys?: readonly string[];
  readonly root?: readonly string[];
  /**
   * Flags given to both exporters so they read the tree the same way, where a default differs
   * (Debian's build, or netlink in node_exporter 1.5); `{tree}` is the tree's root folder.
   */
  readonly flags?: readonly string[];
  /** Empty folders to create in the tree (relative to its root). */
  readonly dirs?: readonly string[];
}

const CPU_SYSFS = 'devices/system/cpu';

/**
 * THE TABLE: the files each collector reads, in both exporters. A collector that both exporters
 * have must be listed here to be compared; add its files when registering a new one. Files
 * missing on a host (e.g. /proc/pressure on kernels without PSI, hwmon in a VM) are skipped,
 * and then both exporters see them missing.
 */
export const COLLECTOR_HOST_FILES: Readonly<Record<string, HostFiles>> = {
  arp: { proc: ['net/arp'] },
  conntrack: { proc: ['sys/net/netfilter/nf_conntrack_count', 'sys/net/netfilter/nf_conntrack_max', 'net/stat/nf_conntrack'] },
  cpu: {
    proc: ['stat'],
    sys: [
      `${CPU_SYSFS}/isolated`,
      `${CPU_SYSFS}/cpu*/online`,
      `${CPU_SYSFS}/cpu*/thermal_throttle/*`,
      `${CPU_SYSFS}/cpu*/topology/physical_package_id`,
      `${CPU_SYSFS}/cpu*/topology/core_id`,
    ],
  },
  cpufreq: { sys: [`${CPU_SYSFS}/offline`, `${CPU_SYSFS}/cpu*/cpufreq/*`] },
  // node_exporter 1.9+ also excludes zram devices by default, 1.5 does not: both get 1.9+'s default.
  diskstats: {
    proc: ['diskstats'],
    sys: ['block/*/queue/rotational'],
    root: ['run/udev/data/b*'],
    flags: ['--path.udev.data={tree}/root/run/udev/data', '--collector.diskstats.device-exclude=^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$'],
  },
  dmi: { sys: ['class/dmi/id/*'] },
  entropy: { proc: ['sys/kernel/random/entropy_avail', 'sys/kernel/random/poolsize'] },
  filefd: { proc: ['sys/fs/file-nr'] },
  // Mount tables only: mountpoints other than / do not exist under the tree's root, so statfs
  // fails the same way in both. Debian's 1.5 also excludes /run, /mnt and /media by default:
  // both get upstream's (1.9+) defaults.
  filesystem: {
    proc: ['1/mounts', '1/mountinfo', 'self/mounts', 'self/mountinfo'],
    flags: [
      '--collector.filesystem.mount-points-exclude=^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)',
      '--collector.filesystem.fs-types-exclude=^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$',
    ],
  },
  hwmon: { sys: ['class/hwmon/*/*', 'class/hwmon/*/device/*'] },
  interrupts: { proc: ['interrupts'] },
  loadavg: { proc: ['loadavg'] },
  meminfo: { proc: ['meminfo'] },
  netclass: { sys: ['class/net/*/*'] },
  // Debian's node_exporter 1.5 reads netlink and excludes lo by default; make it read the tree.
  netdev: {
    proc: ['net/dev'],
    sys: ['class/net/*/statistics/rx_nohandler'],
    flags: ['--no-collector.netdev.netlink', '--collector.netdev.device-exclude=^$'],
  },
  netstat: { proc: ['net/netstat', 'net/snmp', 'net/snmp6'] },
  os: { root: ['etc/os-release', 'usr/lib/os-release'] },
  powersupplyclass: { sys: ['class/power_supply/*/*'] },
  pressure: { proc: ['pressure/*'] },
  processes: { proc: ['sys/kernel/pid_max', 'sys/kernel/threads-max', '*/stat', '*/task/*/stat'] },
  schedstat: { proc: ['schedstat'] },
  sockstat: { proc: ['net/sockstat', 'net/sockstat6'] },
  softnet: { proc: ['net/softnet_stat'] },
  stat: { proc: ['stat'] },
  tcpstat: { proc: ['net/tcp', 'net/tcp6'] },
  // Debian's default directory differs from upstream's (none); both read an empty folder.
  textfile: { dirs: ['textfile'], flags: ['--collector.textfile.directory={tree}/textfile'] },
  thermal_zone: { sys: ['class/thermal/thermal_zone*/*', 'class/thermal/cooling_device*/*'] },
  time: {
    sys: [
      'devices/system/clocksource/clocksource*/available_clocksource',
      'devices/system/clocksource/clocksource*/current_clocksource',
    ],
  },
  // adjtimex(2) in both, on the live kernel: no files.
  timex: {},
  udp_queues: { proc: ['net/udp', 'net/udp6'] },
  // node_exporter calls uname(2); ours may read these files. Same values either way.
  uname: { proc: ['sys/kernel/ostype', 'sys/kernel/osrelease', 'sys/kernel/version', 'sys/kernel/hostname', 'sys/kernel/domainname'] },
  vmstat: { proc: ['vmstat'] },
};

export interface HostTree {
  readonly root: string;
  readonly procfs: string;
  readonly sysfs: string;
  readonly rootfs: string;
  /** Files copied, as `proc/stat`, `sys/devices/...`, `root/etc/os-release`. */
  readonly copied: readonly string[];
  /** The flags pointing an exporter at this tree, with the collectors' `flags`. */
  readonly args: readonly string[];
  remove(): Promise<void>;
}

const MOUNTS = { proc: '/proc', sys: '/sys', root: '/' } as const;
/** A bound on glob expansion, so an unexpected directory cannot make a copy run away. */
const MAX_MATCHES_PER_PATTERN = 4096;

function globSegment(segment: string): RegExp {
  return new RegExp('^' + segment.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');
}

async function isDirectory(file: string): Promise<boolean> {
  return stat(file).then((st) => st.isDirectory(), () => false);
}

/**
 * Expands `a/*\/b` against the real filesystem under `base`. Returns the matching relative
 * paths, and the folders that were listed on the way (so that an existing but empty folder,
 * such as /sys/class/thermal in a VM, exists in the copy too: "empty" and "missing" can make a
 * collector report differently).
 */
async function expand(base: string, pattern: string): Promise<{ paths: string[]; listed: string[] }> {
  let paths = [''];
  const listed: string[] = [];
  const segments = pattern.split('/');
  for (const [index, segment] of segments.entries()) {
    if (!segment.includes('*')) {
      paths = paths.map((p) => path.posix.join(p, segment));
      continue;
    }
    const re = globSegment(segment);
    const next: string[] = [];
    for (const p of paths) {
      let names: string[];
      try {
        names = await readdir(path.join(base, p));
      } catch {
        continue;
      }
      listed.push(p);
      for (const n of names.sort()) if (re.test(n) && next.length < MAX_MATCHES_PER_PATTERN) next.push(path.posix.join(p, n));
    }
    // Folders matched on the way down exist in the copy even if nothing below them matches.
    if (index < segments.length - 1) {
      for (const p of next) if (await isDirectory(path.join(base, p))) listed.push(p);
    }
    paths = next;
  }
  return { paths, listed };
}

/**
 * Copies the files the given collectors read from the live host into a new temporary tree.
 * Content is read and written (not copied with copy_file_range), because procfs and sysfs
 * files report size 0. Collectors not in the table are reported by `unlistedCollectors`.
 */
export async function copyHostTree(collectors: readonly string[]): Promise<HostTree> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'sidecar-host-'));
  const copied = new Set<string>();
  for (const name of collectors) {
    const files = COLLECTOR_HOST_FILES[name];
    if (!files) continue;
    for (const mount of Object.keys(MOUNTS) as (keyof typeof MOUNTS)[]) {
      for (const pattern of files[mount] ?? []) {
        const { paths, listed } = await expand(MOUNTS[mount], pattern);
        for (const dir of listed) await mkdir(path.join(root, mount, dir), { recursive: true });
        for (const rel of paths) {
          const key = `${mount}/${rel}`;
          if (copied.has(key)) continue;
          let content: Buffer;
          try {
            content = await readFile(path.join(MOUNTS[mount], rel));
          } catch {
            continue; // Missing or unreadable here: both exporters will see it missing.
          }
          const dest = path.join(root, mount, rel);
          await mkdir(path.dirname(dest), { recursive: true });
          await writeFile(dest, content);
          copied.add(key);
        }
      }
    }
  }
  for (const mount of Object.keys(MOUNTS)) await mkdir(path.join(root, mount), { recursive: true });
  const flags: string[] = [];
  for (const name of collectors) {
    const files = COLLECTOR_HOST_FILES[name];
    for (const dir of files?.dirs ?? []) await mkdir(path.join(root, dir), { recursive: true });
    for (const flag of files?.flags ?? []) {
      const resolved = flag.replaceAll('{tree}', root);
      if (!flags.includes(resolved)) flags.push(resolved);
    }
  }
  const procfs = path.join(root, 'proc');
  const sysfs = path.join(root, 'sys');
  const rootfs = path.join(root, 'root');
  return {
    root,
    procfs,
    sysfs,
    rootfs,
    copied: [...copied].sort(),
    args: [`--path.procfs=${procfs}`, `--path.sysfs=${sysfs}`, `--path.rootfs=${rootfs}`, ...flags],
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** Collectors without an entry in COLLECTOR_HOST_FILES (they cannot be compared until added). */
export function unlistedCollectors(collectors: readonly string[]): string[] {
  return collectors.filter((n) => !(n in COLLECTOR_HOST_FILES));
}

/** `--collector.disable-defaults --collector.a --collector.b …` */
export function onlyCollectorsArgs(collectors: readonly string[]): string[] {
  return ['--collector.disable-defaults', ...collectors.map((n) => `--collector.${n}`)];
}
