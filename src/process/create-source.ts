/**
 * The process source for this platform: /proc on Linux; elsewhere systeminformation (process
 * list, background refresh) and pidusage (CPU and memory per scrape). pidusage is not used on
 * Linux: it keeps one open descriptor per pid for a minute and leaks them on clear(), and
 * reading /proc directly gives more (the user/system split, I/O, fds, threads) for less.
 * Both libraries are loaded only where they are used.
 */
import type { Logger } from '../lib/log.js';
import type { HostFs } from '../hostfs/host-fs.js';
import { PidusageSource, type PidUsage } from './pidusage-source.js';
import { ProcfsSource } from './procfs-source.js';
import type { ProcessSource } from './source.js';

export function createProcessSource(host: HostFs, log: Logger, platform: NodeJS.Platform = process.platform): ProcessSource {
  if (platform === 'linux') return new ProcfsSource(host);
  let clear: (() => void) | undefined;
  const source = new PidusageSource({
    log,
    listProcesses: async () => (await import('systeminformation')).processes(),
    usage: async (pids) => {
      const pidusage = (await import('pidusage')).default;
      clear = () => pidusage.clear();
      return (await pidusage(pids)) as Record<string, PidUsage | null>;
    },
    clear: () => clear?.(),
  });
  source.start();
  return source;
}
