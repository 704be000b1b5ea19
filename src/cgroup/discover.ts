/**
 * Finds the cgroups to report: the mounted hierarchies under <sysfs>/fs/cgroup, and the
 * distinct cgroups of the processes visible under <procfs> (in the sidecar shape, the web
 * server's container and our own).
 */
import path from 'node:path';
import { NoDataError, isNotFound, isVanishedProcess } from '../collector/collector.js';
import { listDir, listProcesses, parseText, readTextIfExists } from '../io.js';
import type { HostPaths } from '../paths.js';
import { parseUeventDevname } from './files.js';
import { RESOURCES, cgroupPathsOf, cgroupTarget, mapHierarchies, reachable, type CgroupTarget, type Hierarchies } from './layout.js';
import { parseProcCgroup } from './proc-cgroup.js';

/** Processes read at once, so a host-PID setup with thousands of processes cannot flood the I/O pool. */
const CONCURRENCY = 32;

/** Lists <sysfs>/fs/cgroup: no such directory, or no hierarchy mounted in it, is no data. */
export async function listHierarchies(cgroupRoot: string, signal: AbortSignal): Promise<Hierarchies> {
  let entries: string[];
  try {
    entries = await listDir(cgroupRoot);
  } catch (err) {
    if (isNotFound(err)) throw new NoDataError(`no cgroup filesystem at ${cgroupRoot}`);
    throw err;
  }
  let unified: string | undefined;
  if (entries.includes('cgroup.controllers')) unified = '';
  else if (entries.includes('unified') && (await readTextIfExists(path.join(cgroupRoot, 'unified', 'cgroup.controllers'), signal)) !== undefined) {
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
async function readIfPresent(file: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    return await readTextIfExists(file, signal);
  } catch (err) {
    if (isVanishedProcess(err)) return undefined;
    throw err;
  }
}

/** /proc/<pid>/cmdline with its NUL separators as spaces, as process-exporter matches it. */
export function commandLine(raw: string): string {
  return raw.replace(/\0$/, '').replaceAll('\0', ' ');
}

/**
 * The /proc/<pid>/cgroup text of a process to report, or undefined for kernel threads and
 * zombies (empty cmdline), processes `pidMatch` rejects, and processes that exited.
 */
async function cgroupTextOf(paths: HostPaths, pid: string, pidMatch: RegExp | undefined, signal: AbortSignal) {
  const cmdline = await readIfPresent(paths.proc(pid, 'cmdline'), signal);
  if (!cmdline) return undefined;
  if (pidMatch && !pidMatch.test(commandLine(cmdline))) return undefined;
  return readIfPresent(paths.proc(pid, 'cgroup'), signal);
}

export interface FoundCgroups {
  /** In order of the lowest PID in each. */
  readonly targets: readonly CgroupTarget[];
  /** More cgroups than `max` were found; the rest are left out. */
  readonly capped: boolean;
  /** Distinct cgroup memberships with a path outside our cgroup namespace, which cannot be read. */
  readonly outsideNamespace: number;
}

/**
 * The distinct cgroups of the processes under <procfs>, lowest PIDs first, at most `max`.
 * Processes share cgroups, so each distinct /proc/<pid>/cgroup text is parsed once.
 */
export async function findCgroups(
  paths: HostPaths,
  hierarchies: Hierarchies,
  options: { readonly pidMatch: RegExp | undefined; readonly max: number },
  signal: AbortSignal,
): Promise<FoundCgroups> {
  const pids = await listProcesses(paths.proc());
  const seenTexts = new Set<string>();
  const byId = new Map<string, CgroupTarget>();
  let outsideNamespace = 0;
  const found = (capped: boolean): FoundCgroups => ({ targets: [...byId.values()], capped, outsideNamespace });
  for (let i = 0; i < pids.length; i += CONCURRENCY) {
    signal.throwIfAborted();
    const batch = pids.slice(i, i + CONCURRENCY);
    const texts = await Promise.all(batch.map((pid) => cgroupTextOf(paths, pid, options.pidMatch, signal)));
    for (const [j, text] of texts.entries()) {
      if (text === undefined || seenTexts.has(text)) continue;
      seenTexts.add(text);
      const membership = parseText(paths.proc(batch[j] as string, 'cgroup'), text, parseProcCgroup);
      if ([membership.unified, ...membership.v1.map((l) => l.path)].some((p) => p !== undefined && !reachable(p))) outsideNamespace++;
      for (const [id, resource] of cgroupPathsOf(membership, hierarchies)) {
        if (byId.has(id)) continue;
        const target = cgroupTarget(id, resource, hierarchies);
        if (!target) continue;
        if (byId.size === options.max) return found(true);
        byId.set(id, target);
      }
    }
  }
  return found(false);
}

/**
 * cAdvisor's `device` label: "/dev/<name>" for a block device's major:minor. Where sysfs does
 * not know the device we use "major:minor" (cAdvisor would give "", which two unknown devices
 * would share).
 */
export function deviceNamer(paths: HostPaths, signal: AbortSignal): (major: number, minor: number) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  return (major, minor) => {
    const key = `${major}:${minor}`;
    let name = cache.get(key);
    if (!name) {
      name = readIfPresent(paths.sys('dev', 'block', key, 'uevent'), signal).then((text) => {
        const devname = text === undefined ? undefined : parseUeventDevname(text);
        return devname ? `/dev/${devname}` : key;
      });
      cache.set(key, name);
    }
    return name;
  };
}
