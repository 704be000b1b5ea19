/**
 * Maps cgroups to directories under <sysfs>/fs/cgroup, for the three layouts a Linux host can have:
 * - v1: one mount per hierarchy, named after its controllers (`memory`, `cpu,cpuacct`, often
 *   with `cpu` and `cpuacct` symlinks beside it);
 * - v2 (unified): fs/cgroup itself is the cgroup2 mount;
 * - hybrid: v1 mounts plus a cgroup2 mount at fs/cgroup/unified, which holds the controllers
 *   not bound to v1 (and cpu.stat's usage, which v2 keeps even without the cpu controller).
 * As in cAdvisor, a cgroup is a path, read in every hierarchy where that path exists: a process
 * in memory:/a and cpu:/ is in two cgroups, "/a" (its memory) and "/" (its CPU).
 * A cgroup that is not below our own mounts (another container's, seen from a sidecar) is read
 * through the mounts of a process in it, under /proc/<pid>/root.
 * Pure: the caller lists fs/cgroup and reads mountinfo.
 */
import path from 'node:path';
import type { MountInfo } from '../procfs/mountinfo.js';
import type { CgroupMembership } from './proc-cgroup.js';

/** What the collector reads, named after the v1 controller that holds it. */
export type Resource = 'memory' | 'cpu' | 'cpuacct' | 'pids' | 'blkio';

/** Memory first: a process's memory cgroup names its container when hierarchies disagree. */
export const RESOURCES: readonly Resource[] = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio'];

/** Where one resource's hierarchy is mounted, relative to fs/cgroup ('' for a unified-mode root). */
export interface Hierarchy {
  readonly version: 1 | 2;
  readonly mount: string;
}

export type Hierarchies = Readonly<Partial<Record<Resource, Hierarchy>>>;

/**
 * The hierarchy of each resource, from the entries of fs/cgroup and where cgroup2 is mounted
 * ('' in unified mode, 'unified' in hybrid mode, undefined without it). A v1 controller is
 * found under its own name (a mount or a symlink) or in a co-mounted "cpu,cpuacct".
 */
export function mapHierarchies(entries: readonly string[], unified: string | undefined): Hierarchies {
  const hierarchies: Partial<Record<Resource, Hierarchy>> = {};
  for (const resource of RESOURCES) {
    // In unified mode the entries are child cgroups, whatever their names.
    const v1 = unified === '' ? undefined : (entries.find((e) => e === resource) ?? entries.find((e) => e.split(',').includes(resource)));
    if (v1 !== undefined) hierarchies[resource] = { version: 1, mount: v1 };
    else if (unified !== undefined) hierarchies[resource] = { version: 2, mount: unified };
  }
  return hierarchies;
}

/** A path with a ".." segment: a cgroup above or beside our cgroup namespace's root. */
function climbs(cgroupPath: string): boolean {
  return cgroupPath.split('/').includes('..');
}

/** The cgroup paths a process is in, each with the first resource it was found through. */
export function cgroupPathsOf(m: CgroupMembership, hierarchies: Hierarchies): Map<string, Resource> {
  const paths = new Map<string, Resource>();
  for (const resource of RESOURCES) {
    const h = hierarchies[resource];
    if (!h) continue;
    const p = h.version === 1 ? m.v1.find((l) => l.controllers.includes(resource))?.path : m.unified;
    if (p !== undefined && !paths.has(p)) paths.set(p, resource);
  }
  return paths;
}

/**
 * A mounted cgroup hierarchy that can be read: its directory and the cgroup at its top, as the
 * kernel names it to us in /proc/<pid>/cgroup and mountinfo (relative to our cgroup namespace).
 * On the host, and in a container with a private cgroup namespace, our own mounts have "/" at
 * the top. With the host's cgroup namespace a container's mount has its own cgroup at the top
 * ("/docker/<id>"): other containers' cgroups are not below it. The top of another container's
 * mount, seen from a private namespace, climbs out of ours ("/../<id>").
 */
export interface CgroupMount {
  readonly version: 1 | 2;
  /** Absolute directory of the mount. */
  readonly dir: string;
  readonly root: string;
}

/** The mounts each resource can be read through, in order of preference. */
export type CgroupMounts = Readonly<Partial<Record<Resource, readonly CgroupMount[]>>>;

/** Where `cgroupPath` is in `mount`, or undefined when it is not at or below the mount's top. */
export function dirIn(mount: CgroupMount, cgroupPath: string): string | undefined {
  if (cgroupPath === mount.root) return mount.dir;
  const prefix = mount.root === '/' ? '/' : `${mount.root}/`;
  if (!cgroupPath.startsWith(prefix)) return undefined;
  const below = cgroupPath.slice(prefix.length);
  // Only downward steps: "/a/../b" and friends never resolve to a directory we did not mean.
  return climbs(`/${below}`) ? undefined : path.join(mount.dir, below);
}

/** Our own view: the hierarchies under <sysfs>/fs/cgroup, each with the cgroup at its top. */
export function ownMounts(cgroupRoot: string, hierarchies: Hierarchies, rootOf: (resource: Resource, h: Hierarchy) => string): CgroupMounts {
  const mounts: Partial<Record<Resource, readonly CgroupMount[]>> = {};
  for (const resource of RESOURCES) {
    const h = hierarchies[resource];
    if (h) mounts[resource] = [{ version: h.version, dir: path.join(cgroupRoot, h.mount), root: rootOf(resource, h) }];
  }
  return mounts;
}

/** Whether a mountinfo entry is the hierarchy that holds `resource` in the given version. */
export function holds(m: MountInfo, resource: Resource, version: 1 | 2): boolean {
  return version === 1 ? m.fsType === 'cgroup' && m.superOptions.includes(resource) : m.fsType === 'cgroup2';
}

/**
 * Another process's view, from its mountinfo: for each resource, that process's mounts of the
 * hierarchy we read the resource from, each found at `dirOf(mount point)` (under
 * /proc/<pid>/root). A container runtime mounts the container's own cgroup there.
 */
export function processMounts(mountinfo: readonly MountInfo[], hierarchies: Hierarchies, dirOf: (mountPoint: string) => string): CgroupMounts {
  const mounts: Partial<Record<Resource, readonly CgroupMount[]>> = {};
  for (const resource of RESOURCES) {
    const h = hierarchies[resource];
    if (!h) continue;
    const found = mountinfo.filter((m) => holds(m, resource, h.version)).map((m) => ({ version: h.version, dir: dirOf(m.mountPoint), root: m.root }));
    if (found.length > 0) mounts[resource] = found;
  }
  return mounts;
}

export interface CgroupDir {
  readonly version: 1 | 2;
  /** Absolute. */
  readonly dir: string;
}

/** One cgroup to report: its path (cAdvisor's `id` label) and where each resource's files are. */
export interface CgroupTarget {
  readonly id: string;
  /** The directory of the resource the cgroup was found through, where cgroup.procs is read. */
  readonly home: CgroupDir;
  readonly dirs: Readonly<Partial<Record<Resource, CgroupDir>>>;
}

/** The cgroup `id` located in `mounts`, or undefined when the resource it was found through is not there. */
export function cgroupTarget(id: string, foundThrough: Resource, mounts: CgroupMounts): CgroupTarget | undefined {
  const dirs: Partial<Record<Resource, CgroupDir>> = {};
  for (const resource of RESOURCES) {
    for (const mount of mounts[resource] ?? []) {
      const dir = dirIn(mount, id);
      if (dir !== undefined) {
        dirs[resource] = { version: mount.version, dir };
        break;
      }
    }
  }
  const home = dirs[foundThrough];
  return home ? { id, home, dirs } : undefined;
}
