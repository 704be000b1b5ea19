import { desc, type MetricDesc } from '../exposition/model.js';
import { BoundedCache } from './bounded-cache.js';
import { defineFlag } from '../cli/flags.js';
import { parseVmstatFields, type VmstatFields } from '../procfs/vmstat.js';
import type { CollectorFactory } from './collector.js';

const FIELDS_FLAG = defineFlag({
  name: 'collector.vmstat.fields',
  kind: 'regex',
  default: '^(oom_kill|pgpg|pswp|pg.*fault).*',
  help: 'Regexp of fields to return for vmstat collector.',
});

export const vmstatCollector: CollectorFactory = {
  name: 'vmstat',
  defaultEnabled: true,
  flags: [
    FIELDS_FLAG,
  ],
  create: ({ host, host: { paths }, flags }) => {
    const fieldPattern = flags.get(FIELDS_FLAG);
    // The kernel prints the same names on every read: each is matched and described once
    // (null: filtered out). Far more room than the ~180 names of a kernel.
    const byField = new BoundedCache<MetricDesc | null>(4096);
    const describe = (field: string) =>
      fieldPattern.test(field) ? desc(`node_vmstat_${field}`, `/proc/vmstat information field ${field}.`, 'untyped') : null;
    // The last scrape's fields and their descs (null: filtered out), to reuse while the names stay the same.
    let last: { fields: VmstatFields; descs: ReadonlyArray<MetricDesc | null> } | undefined;
    const parse = (text: string) => parseVmstatFields(text, last?.fields);
    return {
      async update(sink, signal) {
        // Every line is parsed, matched or not, so a corrupt file fails whatever the filter.
        const fields = await host.parseFile(paths.proc('vmstat'), parse, signal);
        const descs = fields.names === last?.fields.names ? last.descs : fields.names.map((name) => byField.get(name, describe));
        last = { fields, descs };
        for (let i = 0; i < descs.length; i++) {
          const d = descs[i];
          if (d) sink.add(d, fields.values[i] as number);
        }
      },
    };
  },
};
