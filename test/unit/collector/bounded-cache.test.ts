import test from 'ava';
import { BoundedCache } from '../../../src/collector/bounded-cache.js';

test('BoundedCache computes a key once, null included, and empties itself when full', (t) => {
  const computed: string[] = [];
  const compute = (key: string) => {
    computed.push(key);
    return key === 'skip' ? null : key.toUpperCase();
  };
  const cache = new BoundedCache<string | null>(2);
  t.is(cache.get('a', compute), 'A');
  t.is(cache.get('skip', compute), null);
  t.is(cache.get('a', compute), 'A');
  t.is(cache.get('skip', compute), null);
  t.deepEqual(computed, ['a', 'skip']);
  t.is(cache.get('b', compute), 'B'); // full: emptied, then b kept
  t.is(cache.get('a', compute), 'A');
  t.deepEqual(computed, ['a', 'skip', 'b', 'a']);
});
