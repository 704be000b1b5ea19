import test from 'ava';
import { entropyCollector } from '../../../src/collector/entropy.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const scrape = (scenario: string) => collect(['entropy'], ['--path.procfs', fixture('entropy', scenario)], [entropyCollector]);

test('entropy serves available and pool size bits with the exact help', async (t) => {
  const r = await scrape('host');
  t.is(r.success['entropy'], 1);
  t.is(valueOf(r.text, 'node_entropy_available_bits'), 256);
  t.is(valueOf(r.text, 'node_entropy_pool_size_bits'), 256);
  t.regex(r.text, /# HELP node_entropy_available_bits Bits of available entropy\.\n# TYPE node_entropy_available_bits gauge\n/);
  t.regex(r.text, /# HELP node_entropy_pool_size_bits Bits of entropy pool\.\n# TYPE node_entropy_pool_size_bits gauge\n/);
});

test('kernels before 5.18 have a 4096-bit pool with a varying level', async (t) => {
  const r = await scrape('old-kernel');
  t.is(r.success['entropy'], 1);
  t.is(valueOf(r.text, 'node_entropy_available_bits'), 3785);
  t.is(valueOf(r.text, 'node_entropy_pool_size_bits'), 4096);
});

test('a missing poolsize keeps the available bits but reports success 0', async (t) => {
  const r = await scrape('no-poolsize');
  t.is(r.success['entropy'], 0);
  t.is(valueOf(r.text, 'node_entropy_available_bits'), 3785);
  t.is(valueOf(r.text, 'node_entropy_pool_size_bits'), undefined);
  t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('poolsize')));
});

test('a missing entropy_avail serves nothing', async (t) => {
  const r = await scrape('no-entropy-avail');
  t.is(r.success['entropy'], 0);
  t.false(r.text.includes('node_entropy_'));
  t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('entropy_avail')));
});

for (const scenario of ['bad-poolsize', 'empty', 'does-not-exist']) {
  test(`entropy fails cleanly (success 0, nothing served) on ${scenario} input`, async (t) => {
    // Both files are parsed before anything is added, so a bad poolsize hides entropy_avail too.
    const r = await scrape(scenario);
    t.is(r.success['entropy'], 0);
    t.false(r.text.includes('node_entropy_'));
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('entropy')));
  });
}
