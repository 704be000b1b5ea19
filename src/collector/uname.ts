import os from 'node:os';
import { desc } from '../exposition/model.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';

const unameInfo = desc(
  'node_uname_info',
  'Labeled system information as provided by the uname system call.',
  'gauge',
  ['sysname', 'release', 'version', 'machine', 'nodename', 'domainname'],
);

export const unameCollector: CollectorFactory = {
  name: 'uname',
  defaultEnabled: true,
  create: ({ host, host: { paths } }) => ({
    async update(sink, signal) {
      // uname(2)'s fields as /proc/sys/kernel files, which (like the syscall) show the reading
      // process's UTS namespace, so nodename is the exporter's own. Each falls back to the os.*
      // call for the same field when the file is missing.
      const read = (file: string, fallback: () => string) => readKernelString(host, file, fallback, signal);
      const [sysname, release, version, nodename, domainname] = await Promise.all([
        read('ostype', os.type),
        read('osrelease', os.release),
        read('version', os.version),
        read('hostname', os.hostname),
        // Node has no getdomainname(); "(none)" is what Linux reports when no domain is set.
        read('domainname', () => '(none)'),
      ]);
      // No /proc file holds the machine (architecture) field.
      sink.add(unameInfo, 1, sysname, release, version, os.machine(), nodename, domainname);
    },
  }),
};

async function readKernelString(
  host: HostFs,
  file: string,
  fallback: () => string,
  signal: AbortSignal,
): Promise<string> {
  const text = await host.readTextIfExists(host.paths.proc('sys/kernel', file), signal);
  return text === undefined ? fallback() : text.replace(/\n$/, '');
}
