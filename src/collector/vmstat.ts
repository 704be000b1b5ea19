import { desc } from '../exposition/model.js';
import { defineFlag } from '../cli/flags.js';
import { parseVmstat } from '../procfs/vmstat.js';
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
    return {
      async update(sink, signal) {
        // Every line is parsed, matched or not, so a corrupt file fails whatever the filter.
        for (const [field, value] of await host.parseFile(paths.proc('vmstat'), parseVmstat, signal)) {
          if (!fieldPattern.test(field)) continue;
          sink.add(desc(`node_vmstat_${field}`, `/proc/vmstat information field ${field}.`, 'untyped'), value);
        }
      },
    };
  },
};
