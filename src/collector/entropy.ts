import { desc } from '../exposition/model.js';
import { readTextIfExists } from '../io.js';
import { parseUint } from '../procfs/parse.js';
import type { CollectorFactory } from './collector.js';

const availableBits = desc('node_entropy_available_bits', 'Bits of available entropy.', 'gauge');
const poolSizeBits = desc('node_entropy_pool_size_bits', 'Bits of entropy pool.', 'gauge');

/** A one-number file such as entropy_avail; undefined when the file does not exist. */
function parseOptionalUint(file: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseUint(text.trim(), file);
}

export const entropyCollector: CollectorFactory = {
  name: 'entropy',
  defaultEnabled: true,
  create: ({ paths }) => ({
    async update(sink, signal) {
      const file = (name: string) => paths.proc('sys', 'kernel', 'random', name);
      const [availText, poolText] = await Promise.all([
        readTextIfExists(file('entropy_avail'), signal),
        readTextIfExists(file('poolsize'), signal),
      ]);
      // Both are parsed before either is added, and a missing poolsize still leaves the
      // available bits in place (with success 0), as in node_exporter.
      const available = parseOptionalUint(file('entropy_avail'), availText);
      const poolSize = parseOptionalUint(file('poolsize'), poolText);
      if (available === undefined) throw new Error(`couldn't get entropy_avail: ${file('entropy_avail')} does not exist`);
      sink.add(availableBits, available);
      if (poolSize === undefined) throw new Error(`couldn't get entropy poolsize: ${file('poolsize')} does not exist`);
      sink.add(poolSizeBits, poolSize);
    },
  }),
};
