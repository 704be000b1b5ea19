import { desc } from '../exposition/model.js';
import type { CollectorFactory } from './collector.js';

const availableBits = desc('node_entropy_available_bits', 'Bits of available entropy.', 'gauge');
const poolSizeBits = desc('node_entropy_pool_size_bits', 'Bits of entropy pool.', 'gauge');

export const entropyCollector: CollectorFactory = {
  name: 'entropy',
  defaultEnabled: true,
  create: ({ host, host: { paths } }) => ({
    async update(sink, signal) {
      const file = (name: string) => paths.proc('sys', 'kernel', 'random', name);
      // Both are parsed before either is added, and a missing poolsize still leaves the
      // available bits in place (with success 0), as in node_exporter.
      const [available, poolSize] = await Promise.all([
        host.readUintIfExists(file('entropy_avail'), signal),
        host.readUintIfExists(file('poolsize'), signal),
      ]);
      if (available === undefined) throw new Error(`couldn't get entropy_avail: ${file('entropy_avail')} does not exist`);
      sink.add(availableBits, available);
      if (poolSize === undefined) throw new Error(`couldn't get entropy poolsize: ${file('poolsize')} does not exist`);
      sink.add(poolSizeBits, poolSize);
    },
  }),
};
