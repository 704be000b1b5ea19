import { desc } from '../exposition/model.js';
import { parseFileNr } from '../procfs/filefd.js';
import type { CollectorFactory } from './collector.js';

const allocated = desc('node_filefd_allocated', 'File descriptor statistics: allocated.', 'gauge');
const maximum = desc('node_filefd_maximum', 'File descriptor statistics: maximum.', 'gauge');

export const filefdCollector: CollectorFactory = {
  name: 'filefd',
  defaultEnabled: true,
  create: ({ host, host: { paths } }) => ({
    async update(sink, signal) {
      const fileNr = await host.parseFile(paths.proc('sys', 'fs', 'file-nr'), parseFileNr, signal);
      sink.add(allocated, fileNr.allocated);
      sink.add(maximum, fileNr.maximum);
    },
  }),
};
