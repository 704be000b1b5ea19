import { desc, type MetricDesc } from '../exposition/model.js';
import { type MeminfoFields, parseMeminfoFields } from '../procfs/meminfo.js';
import type { CollectorFactory } from './collector.js';

/** The /proc/meminfo keys node_exporter ≥ 1.9 exports as `<key>_bytes`. */
const BYTE_KEYS = [
  'Active', 'Active(anon)', 'Active(file)', 'AnonHugePages', 'AnonPages', 'Bounce', 'Buffers', 'Cached',
  'CmaFree', 'CmaTotal', 'CommitLimit', 'Committed_AS', 'DirectMap1G', 'DirectMap2M', 'DirectMap4k', 'Dirty',
  'HardwareCorrupted', 'Hugepagesize', 'Inactive', 'Inactive(anon)', 'Inactive(file)', 'KernelStack', 'Mapped',
  'MemAvailable', 'MemFree', 'MemTotal', 'Mlocked', 'NFS_Unstable', 'PageTables', 'Percpu', 'SReclaimable',
  'SUnreclaim', 'Shmem', 'ShmemHugePages', 'ShmemPmdMapped', 'Slab', 'SwapCached', 'SwapFree', 'SwapTotal',
  'Unevictable', 'VmallocChunk', 'VmallocTotal', 'VmallocUsed', 'Writeback', 'WritebackTmp', 'Zswap', 'Zswapped',
] as const;

/** The unitless keys it exports as printed (no `_bytes`, no scaling). */
const COUNT_KEYS = ['HugePages_Free', 'HugePages_Rsvd', 'HugePages_Surp', 'HugePages_Total'] as const;

/**
 * node_exporter ≥ 1.9's fixed list (#3049), as /proc/meminfo spells the keys. Earlier releases
 * exported every line, so 1.5 also shows e.g. KReclaimable, SecPageTables, FileHugePages,
 * FilePmdMapped, Hugetlb and Balloon; those are left out on purpose.
 */
export const MEMINFO_FIELDS: readonly string[] = [...BYTE_KEYS, ...COUNT_KEYS];

interface MeminfoMetric {
  readonly desc: MetricDesc;
  /** Byte keys are converted from kB; counts are taken as printed, whatever their unit. */
  readonly bytes: boolean;
}

function meminfoMetric(key: string, bytes: boolean): [string, MeminfoMetric] {
  // `Active(anon)` → `Active_anon`; the help names the metric's key part, as node_exporter does.
  const part = key.replace(/\((.*)\)/, '_$1') + (bytes ? '_bytes' : '');
  return [key, { desc: desc(`node_memory_${part}`, `Memory information field ${part}.`, 'gauge'), bytes }];
}

const metricsByKey = new Map<string, MeminfoMetric>([
  ...BYTE_KEYS.map((k) => meminfoMetric(k, true)),
  ...COUNT_KEYS.map((k) => meminfoMetric(k, false)),
]);

/** Every name this collector can emit, for comparisons with node_exporter releases. */
export const MEMINFO_METRIC_NAMES: readonly string[] = [...metricsByKey.values()].map((m) => m.desc.name);

export const meminfoCollector: CollectorFactory = {
  name: 'meminfo',
  defaultEnabled: true,
  create: ({ host, host: { paths } }) => {
    // The last scrape's fields and what to serve from them, reused while the keys stay the same.
    let last: { fields: MeminfoFields; plan: readonly Planned[] } | undefined;
    const parse = (text: string) => parseMeminfoFields(text, last?.fields);
    return {
      async update(sink, signal) {
        const fields = await host.parseFile(paths.proc('meminfo'), parse, signal);
        const plan = fields.keys === last?.fields.keys ? last.plan : planOf(fields.keys);
        last = { fields, plan };
        for (const { metric, from } of plan) {
          const value = fields.values[from] as number;
          sink.add(metric.desc, metric.bytes && fields.inKiB[from] ? value * 1024 : value);
        }
      },
    };
  },
};

/** A series to serve: its metric, and the line its value is on. */
interface Planned {
  readonly metric: MeminfoMetric;
  readonly from: number;
}

/** The known keys in the order of their first line, each with the value of its last (as parseMeminfo's map has them). */
function planOf(keys: readonly string[]): Planned[] {
  const plan: Planned[] = [];
  const at = new Map<string, number>();
  keys.forEach((key, i) => {
    const metric = metricsByKey.get(key);
    if (!metric) return;
    const first = at.get(key);
    if (first === undefined) {
      at.set(key, plan.length);
      plan.push({ metric, from: i });
    } else {
      plan[first] = { metric, from: i };
    }
  });
  return plan;
}
