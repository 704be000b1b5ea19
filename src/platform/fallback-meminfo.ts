/**
 * meminfo on macOS/Windows: the five /proc/meminfo fields that have an equivalent in
 * systeminformation's mem(), under the Linux names (so dashboards work), refreshed in the
 * background (on macOS mem() runs sysctl and vm_stat).
 */
import type { CollectorFactory } from '../collector/collector.js';
import { desc } from '../exposition/model.js';
import { changingValue } from './refresher.js';
import type { FallbackDeps, MemData } from './system-info.js';

const field = (key: string) => desc(`node_memory_${key}_bytes`, `Memory information field ${key}_bytes.`, 'gauge');

/** Linux meminfo key → systeminformation's mem() field, both in bytes. */
const FIELDS = [
  [field('MemTotal'), 'total'],
  [field('MemFree'), 'free'],
  [field('MemAvailable'), 'available'],
  [field('SwapTotal'), 'swaptotal'],
  [field('SwapFree'), 'swapfree'],
] as const;

export function fallbackMeminfoCollector(deps: FallbackDeps): CollectorFactory {
  return {
    name: 'meminfo',
    defaultEnabled: true,
    create: ({ log }) => {
      const mem = changingValue(deps, log, 'systeminformation mem()', () => deps.si.mem());
      return {
        async update(sink) {
          const m: MemData = mem.current;
          // mem() does not reject when its commands fail; it returns zeros.
          if (!(m.total > 0)) throw new Error('systeminformation mem() returned no total memory');
          for (const [d, key] of FIELDS) {
            if (Number.isFinite(m[key])) sink.add(d, m[key]);
          }
        },
        close: () => mem.close(),
      };
    },
  };
}
