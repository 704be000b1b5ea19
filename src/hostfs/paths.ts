import path from 'node:path';

/**
 * A path part that path.join would keep as it is: not empty, no leading, trailing or doubled
 * slash, no "." or ".." segment. A PID, a file name, "sys/kernel" are; joining those to a
 * normalized root is plain concatenation, without path.join's normalizing pass, which builds
 * its result a character at a time (these paths are built for every process on every scrape).
 */
const CLEAN_PART = /^(?!\.\.?(?:\/|$))[^/]+(?:\/(?!\.\.?(?:\/|$))[^/]+)*$/;

/** A root's parts are joined to this: the normalized root with one trailing slash. */
function prefixOf(root: string): string | undefined {
  const normalized = path.join(root);
  // "." disappears in a join ("x", not "./x"): those take path.join.
  if (normalized === '.' || normalized === './') return undefined;
  return normalized.endsWith('/') ? normalized : normalized + '/';
}

/** path.join(root, ...parts), by concatenation where the parts are clean. */
function joinUnder(root: string, prefix: string | undefined, parts: readonly string[]): string {
  if (prefix === undefined || parts.length === 0) return path.join(root, ...parts);
  let joined = prefix;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (!CLEAN_PART.test(part)) return path.join(root, ...parts);
    joined = i === 0 ? joined + part : joined + '/' + part;
  }
  return joined;
}

/** A directory joined to by concatenation: "/", or clean parts, absolute or not. */
const CLEAN_DIR = new RegExp(`^(?:/|/?${CLEAN_PART.source.slice(1, -1)})$`);

/**
 * path.join(dir, ...parts), by concatenation where `dir` and the parts are clean (a directory
 * under a root, a file name): for paths built per process or per device on every scrape.
 */
export function joinPath(dir: string, ...parts: string[]): string {
  return joinUnder(dir, CLEAN_DIR.test(dir) ? (dir === '/' ? dir : dir + '/') : undefined, parts);
}

/** The --path.* prefixes, so the same code reads the host, a mounted host or a fixture tree. */
export class HostPaths {
  private readonly procfsPrefix: string | undefined;
  private readonly sysfsPrefix: string | undefined;
  private readonly rootfsPrefix: string | undefined;

  constructor(
    readonly procfs = '/proc',
    readonly sysfs = '/sys',
    readonly rootfs = '/',
  ) {
    this.procfsPrefix = prefixOf(procfs);
    this.sysfsPrefix = prefixOf(sysfs);
    this.rootfsPrefix = prefixOf(rootfs);
  }

  proc(...parts: string[]): string {
    return joinUnder(this.procfs, this.procfsPrefix, parts);
  }

  sys(...parts: string[]): string {
    return joinUnder(this.sysfs, this.sysfsPrefix, parts);
  }

  root(...parts: string[]): string {
    return joinUnder(this.rootfs, this.rootfsPrefix, parts);
  }

  /** node_exporter's rootfsStripPrefix: a mountpoint as the host names it. */
  stripRootfs(mountpoint: string): string {
    if (this.rootfs === '/' || this.rootfs === '') return mountpoint;
    const prefix = this.rootfs.replace(/\/+$/, '');
    if (mountpoint === prefix) return '/';
    return mountpoint.startsWith(prefix + '/') ? mountpoint.slice(prefix.length) : mountpoint;
  }
}
