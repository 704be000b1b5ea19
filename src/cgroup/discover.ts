/**
 * Finds the cgroups to report: the mounted hierarchies under <sysfs>/fs/cgroup, and the
 * distinct cgroups of the processes visible under <procfs> (in the sidecar shape, the web
 * server's container and our own), each with the directories its files are read from.
 */
import path from 'node:path';

import { type HostFs, parseText } from '../hostfs/host-fs.js';
import { type MountInfo, parseMountinfo } from '../procfs/mountinfo.js';
import type { UserRegex } from '../gocompat/user-regex.js';
import { parseUeventDevname } from './files.js';
import { RESOURCES, cgroupPathsOf, cgroupTarget, holds, mapHierarchies, ownMounts, processMounts, type CgroupMounts, type CgroupTarget, type Hierarchies } from './layout.js';
import { parseProcCgroup } from './proc-cgroup.js';
import { NoDataError, isNotFound, isPermissionDenied, isVanishedProcess } from '../hostfs/errors.js';
import { mapBounded } from '../lib/concurrency.js';
import { ProcessTable, type ProcessListing, type TableEntry } from '../process/table.js';

/** Processes read at once, so a host-PID setup with thousands of processes cannot flood the I/O pool. */
const CONCURRENCY = 32;

/** Lists <sysfs>/fs/cgroup: no such directory, or no hierarchy mounted in it, is no data. */
export async function listHierarchies(host: HostFs, cgroupRoot: string, signal: AbortSignal): Promise<Hierarchies> {
  let entries: string[];
  try {
    entries = await host.listDir(cgroupRoot);
  } catch (err) {
    if (isNotFound(err)) throw new NoDataError(`no cgroup filesystem at ${cgroupRoot}`);
    throw err;
  }
  let unified: string | undefined;
  if (entries.includes('cgroup.controllers')) unified = '';
  else if (entries.includes('unified') && (await host.readTextIfExists(path.join(cgroupRoot, 'unified', 'cgroup.controllers'), signal)) !== undefined) {
    unified = 'unified';
  }
  const hierarchies = mapHierarchies(entries, unified);
  if (!RESOURCES.some((r) => hierarchies[r])) throw new NoDataError(`no cgroup hierarchy is mounted under ${cgroupRoot}`);
  return hierarchies;
}

/**
 * A file's text, or undefined when it is absent: not there at all, or a process that exited
 * between listing and reading (ENOENT, or ESRCH from some /proc files).
 */
async function readIfPresent(host: HostFs, file: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    return await host.readTextIfExists(file, signal);
  } catch (err) {
    if (isVanishedProcess(err)) return undefined;
    throw err;
  }
}

/** /proc/<pid>/cmdline with its NUL separators as spaces, as process-exporter matches it. */
export function commandLine(raw: string): string {
  return raw.replace(/\0$/, '').replaceAll('\0', ' ');
}

/** Whether a process's cgroups are reported: not a kernel thread or zombie (empty cmdline), and matched by `pidMatch`. */
async function reportedByCmdline(host: HostFs, pid: string, pidMatch: UserRegex | undefined, signal: AbortSignal): Promise<boolean | undefined> {
  const cmdline = await readIfPresent(host, host.paths.proc(pid, 'cmdline'), signal);
  if (cmdline === undefined) return undefined;
  return cmdline !== '' && (pidMatch === undefined || pidMatch.test(commandLine(cmdline)));
}

/**
 * Which processes have their cgroups reported, decided once per process (PID and start time,
 * from the shared listing) and again after an exec (a new comm): the command line is read
 * then, not on every scrape, and kernel threads cost nothing after their first scrape. A
 * process's /proc/<pid>/cgroup is still read on every scrape, since it can be moved to another
 * cgroup at any time. Entries whose stat could not be read (a copied tree without stat files)
 * are decided afresh on every scrape.
 */
export class ReportDecisions {
  /** By process id; the cgroup file of a process reported. */
  private readonly decided = new Map<string, { readonly comm: string; readonly cgroupFile: string | undefined }>();

  constructor(
    private readonly host: HostFs,
    private readonly pidMatch: UserRegex | undefined,
  ) {}

  /** The /proc/<pid>/cgroup text of each listed process to report (undefined for the others), in listing order. */
  async cgroupTexts(entries: readonly TableEntry[], signal: AbortSignal): Promise<(string | undefined)[]> {
    const present = new Set<string>();
    const texts = await mapBounded(entries, CONCURRENCY, async (e) => {
      let cgroupFile: string | undefined;
      if ('stat' in e) {
        if (e.stat.state === 'Z') return undefined; // Its command line is gone; as before, not reported.
        const { id } = e;
        present.add(id);
        const known = this.decided.get(id);
        if (known?.comm === e.stat.comm) cgroupFile = known.cgroupFile;
        else {
          const report = await reportedByCmdline(this.host, e.pid, this.pidMatch, signal);
          if (report) cgroupFile = this.host.paths.proc(e.pid, 'cgroup');
          if (report !== undefined) this.decided.set(id, { comm: e.stat.comm, cgroupFile });
        }
      } else if (await reportedByCmdline(this.host, e.pid, this.pidMatch, signal)) {
        cgroupFile = this.host.paths.proc(e.pid, 'cgroup');
      }
      return cgroupFile === undefined ? undefined : readIfPresent(this.host, cgroupFile, signal);
    });
    for (const id of this.decided.keys()) if (!present.has(id)) this.decided.delete(id);
    return texts;
  }
}

export interface FoundCgroups {
  /** In order of the lowest PID in each. */
  readonly targets: readonly CgroupTarget[];
  /** More cgroups than `max` were found; the rest are left out. */
  readonly capped: boolean;
  /**
   * Cgroups outside our own mounts that could not be read through a process in them either:
   * `denied` for want of access to /proc/<pid>/root, `unmounted` when no mount of the process
   * holds them.
   */
  readonly unreadable: { readonly denied: number; readonly unmounted: number };
}

/** The parse of a file read on every scrape that seldom changes (our own mountinfo), done again only when its text changed. */
export class ParsedIfChanged<T> {
  private last: { readonly text: string; readonly value: T } | undefined;

  constructor(private readonly parse: (text: string) => T) {}

  of(file: string, text: string): T {
    if (this.last?.text !== text) this.last = { text, value: parseText(file, text, this.parse) };
    return this.last.value;
  }
}

/** The cgroup at the top of each of our hierarchies, from our own mountinfo; "/" where it does not say. */
async function ownCgroupMounts(
  host: HostFs,
  cgroupRoot: string,
  hierarchies: Hierarchies,
  ownMountinfo: ParsedIfChanged<readonly MountInfo[]>,
  signal: AbortSignal,
): Promise<CgroupMounts> {
  let mounts: readonly MountInfo[] = [];
  const file = host.paths.proc('self', 'mountinfo');
  const text = await readIfPresent(host, file, signal);
  // A fixture tree, or a procfs that is not ours, may have no mountinfo: its hierarchies are whole ones.
  if (text !== undefined) mounts = ownMountinfo.of(file, text);
  const under = cgroupRoot + path.sep;
  return ownMounts(cgroupRoot, hierarchies, (resource, h) => {
    const dir = path.join(cgroupRoot, h.mount);
    const m = mounts.find((e) => (h.version === 2 ? e.mountPoint === dir : e.mountPoint.startsWith(under)) && holds(e, resource, h.version));
    return m?.root ?? '/';
  });
}

/**
 * The mounts of process `pid`, read through /proc/<pid>/root; undefined when the process is
 * gone, and 'denied' when we may not look into its root (another user's process without
 * CAP_SYS_PTRACE).
 */
async function processCgroupMounts(host: HostFs, pid: string, hierarchies: Hierarchies, signal: AbortSignal): Promise<CgroupMounts | 'denied' | undefined> {
  const file = host.paths.proc(pid, 'mountinfo');
  const text = await readIfPresent(host, file, signal);
  if (text === undefined) return undefined;
  const root = host.paths.proc(pid, 'root');
  try {
    await host.listDir(root);
  } catch (err) {
    if (isVanishedProcess(err)) return undefined;
    if (isPermissionDenied(err)) return 'denied';
    throw err;
  }
  return processMounts(parseText(file, text, parseMountinfo), hierarchies, (mountPoint) => path.join(root, mountPoint));
}

/**
 * The process listing of this scrape, asked for at once (before the collector's first wait), so
 * that it joins the one process groups ask for: a listing that is over is not shared.
 */
export function startListing(host: HostFs, signal: AbortSignal): Promise<ProcessListing> {
  const listing = ProcessTable.of(host).listOrNoData(signal);
  // Awaited by findCgroups, unless the scrape fails before (no cgroup filesystem).
  listing.catch(() => undefined);
  return listing;
}

/**
 * The distinct cgroups of the processes in `listing`, lowest PIDs first, at most `max`.
 * Processes share cgroups, so each distinct /proc/<pid>/cgroup text is parsed once. A cgroup
 * below our own mounts is read there; another one through the mounts of the first process
 * found in it (in the sidecar shape: the server's container, seen from the sidecar's).
 */
export async function findCgroups(
  host: HostFs,
  cgroupRoot: string,
  hierarchies: Hierarchies,
  options: { readonly decisions: ReportDecisions; readonly ownMountinfo: ParsedIfChanged<readonly MountInfo[]>; readonly max: number },
  listing: Promise<ProcessListing>,
  signal: AbortSignal,
): Promise<FoundCgroups> {
  const own = await ownCgroupMounts(host, cgroupRoot, hierarchies, options.ownMountinfo, signal);
  const { entries } = await listing;
  const texts = await options.decisions.cgroupTexts(entries, signal);
  const seenTexts = new Set<string>();
  const byId = new Map<string, CgroupTarget>();
  const unresolved = new Map<string, 'denied' | 'unmounted'>();
  const found = (capped: boolean): FoundCgroups => {
    const reasons = [...unresolved.values()];
    const count = (r: string) => reasons.filter((x) => x === r).length;
    return { targets: [...byId.values()], capped, unreadable: { denied: count('denied'), unmounted: count('unmounted') } };
  };
  for (let j = 0; j < texts.length; j++) {
    const text = texts[j];
    if (text === undefined || seenTexts.has(text)) continue;
    seenTexts.add(text);
    const pid = (entries[j] as TableEntry).pid;
    const membership = parseText(host.paths.proc(pid, 'cgroup'), text, parseProcCgroup);
    let theirs: CgroupMounts | 'denied' | undefined;
    for (const [id, resource] of cgroupPathsOf(membership, hierarchies)) {
      if (byId.has(id)) continue;
      let target = cgroupTarget(id, resource, own);
      if (!target) {
        theirs ??= await processCgroupMounts(host, pid, hierarchies, signal);
        if (theirs === undefined) continue; // Exited meanwhile.
        target = theirs === 'denied' ? undefined : cgroupTarget(id, resource, theirs);
        if (!target) {
          unresolved.set(id, theirs === 'denied' ? 'denied' : 'unmounted');
          continue;
        }
      }
      if (byId.size === options.max) return found(true);
      unresolved.delete(id);
      byId.set(id, target);
    }
  }
  return found(false);
}

/**
 * cAdvisor's `device` label: "/dev/<name>" for a block device's major:minor. Where sysfs does
 * not know the device we use "major:minor" (cAdvisor would give "", which two unknown devices
 * would share).
 */
export function deviceNamer(host: HostFs, signal: AbortSignal): (major: number, minor: number) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  return (major, minor) => {
    const key = `${major}:${minor}`;
    let name = cache.get(key);
    if (!name) {
      name = readIfPresent(host, host.paths.sys('dev', 'block', key, 'uevent'), signal).then((text) => {
        const devname = text === undefined ? undefined : parseUeventDevname(text);
        return devname ? `/dev/${devname}` : key;
      });
      cache.set(key, name);
    }
    return name;
  };
}
