import path from 'node:path';

/** The --path.* prefixes, so the same code reads the host, a mounted host or a fixture tree. */
export class HostPaths {
  constructor(
    readonly procfs = '/proc',
    readonly sysfs = '/sys',
    readonly rootfs = '/',
  ) {}

  proc(...parts: string[]): string {
    return path.join(this.procfs, ...parts);
  }

  sys(...parts: string[]): string {
    return path.join(this.sysfs, ...parts);
  }

  root(...parts: string[]): string {
    return path.join(this.rootfs, ...parts);
  }

  /** node_exporter's rootfsStripPrefix: a mountpoint as the host names it. */
  stripRootfs(mountpoint: string): string {
    if (this.rootfs === '/' || this.rootfs === '') return mountpoint;
    const prefix = this.rootfs.replace(/\/+$/, '');
    if (mountpoint === prefix) return '/';
    return mountpoint.startsWith(prefix + '/') ? mountpoint.slice(prefix.length) : mountpoint;
  }
}
