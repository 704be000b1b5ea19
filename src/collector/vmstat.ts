import { desc } from '../exposition/model.js';
import { parseFile } from '../io.js';
import { parseVmstat } from '../procfs/vmstat.js';
import type { UserRegex } from '../regex/user-regex.js';
import type { CollectorFactory } from './collector.js';

const FIELDS_FLAG = 'collector.vmstat.fields';

export const vmstatCollector: CollectorFactory = {
  name: 'vmstat',
  defaultEnabled: true,
  flags: [
    {
      name: FIELDS_FLAG,
      kind: 'regex',
      default: '^(oom_kill|pgpg|pswp|pg.*fault).*',
      help: 'Regexp of fields to return for vmstat collector.',
    },
  ],
  create: ({ paths, flags }) => {
    const fieldPattern = flags.regex(FIELDS_FLAG) as UserRegex;
    return {
      async update(sink, signal) {
        // Every line is parsed, matched or not, so a corrupt file fails whatever the filter.
        for (const [field, value] of await parseFile(paths.proc('vmstat'), parseVmstat, signal)) {
          if (!fieldPattern.test(field)) continue;
          sink.add(desc(`node_vmstat_${field}`, `/proc/vmstat information field ${field}.`, 'untyped'), value);
        }
      },
    };
  },
};
