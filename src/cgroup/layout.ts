/**
 * Maps cgroups to directories under <sysfs>/fs/cgroup, for the three layouts a Linux host can have:
 * - v1: one mount per hierarchy, named after its controllers (`memory`, `cpu,cpuacct`, often
 *   with `cpu` and `cpuacct` symlinks beside it);
 * - v2 (unified): fs/cgroup itself is the cgroup2 mount;
 * - hybrid: v1 mounts plus a cgroup2 mount at fs/cgroup/unified, which holds the controllers
 *   not bound to v1 (and cpu.stat's usage, which v2 keeps even without the cpu controller).
 * As in cAdvisor, a cgroup is a path, read in every hierarchy where that path exists: a process
 * in memory:/a and cpu:/ is in two cgroups, "/a" (its memory) and "/" (its CPU).
 * Pure: the caller lists fs/cgroup once per scrape.
 */
import path from 'node:path';
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

/**
 * A path with a ".." segment lies outside our cgroup namespace (another container's cgroup seen
 * from a private cgroupns): our cgroup mount cannot reach it.
 */
export function reachable(cgroupPath: string): boolean {
  return !cgroupPath.split('/').includes('..');
}

/** The cgroup paths a process is in, each with the first resource it was found through. */
export function cgroupPathsOf(m: CgroupMembership, hierarchies: Hierarchies): Map<string, Resource> {
  const paths = new Map<string, Resource>();
  for (const resource of RESOURCES) {
    const h = hierarchies[resource];
    if (!h) continue;
    const p = h.version === 1 ? m.v1.find((l) => l.controllers.includes(resource))?.path : m.unified;
    if (p !== undefined && reachable(p) && !paths.has(p)) paths.set(p, resource);
  }
  return paths;
}

export interface CgroupDir {
  readonly version: 1 | 2;
  /** Relative to <sysfs>/fs/cgroup. */
  readonly dir: string;
}

/** One cgroup to report: its path (cAdvisor's `id` label) and where each resource's files would be. */
export interface CgroupTarget {
  readonly id: string;
  /** The directory of the resource the cgroup was found through, where cgroup.procs is read. */
  readonly home: CgroupDir;
  readonly dirs: Readonly<Partial<Record<Resource, CgroupDir>>>;
}

export function cgroupTarget(id: string, foundThrough: Resource, hierarchies: Hierarchies): CgroupTarget | undefined {
  const dirs: Partial<Record<Resource, CgroupDir>> = {};
  for (const resource of RESOURCES) {
    const h = hierarchies[resource];
    if (h) dirs[resource] = { version: h.version, dir: path.join(h.mount, id) };
  }
  const home = dirs[foundThrough];
  return home ? { id, home, dirs } : undefined;
}
