import test from 'ava';
import { filefdCollector } from '../../../src/collector/filefd.js';
import { parseFileNr } from '../../../src/procfs/filefd.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const scrape = (scenario: string) => collect(['filefd'], ['--path.procfs', fixture('filefd', scenario)], [filefdCollector]);

test('parseFileNr takes fields 1 and 3 and ignores the always-zero middle one', (t) => {
  t.deepEqual(parseFileNr('464\t7\t2466193\n'), { allocated: 464, maximum: 2466193 });
});

test('parseFileNr rejects short, non-numeric and empty input', (t) => {
  t.throws(() => parseFileNr('464\t0\n'), { message: /expected 3 fields, got 2/ });
  t.throws(() => parseFileNr('464\t0\tunlimited\n'), { message: /maximum: expected an unsigned integer, got "unlimited"/ });
  t.throws(() => parseFileNr('-1\t0\t5\n'), { message: /allocated: expected an unsigned integer/ });
  t.throws(() => parseFileNr(''), { message: /expected 3 fields, got 0/ });
});

test('filefd serves allocated and maximum as gauges with the exact help', async (t) => {
  const r = await scrape('host');
  t.is(r.success['filefd'], 1);
  t.is(valueOf(r.text, 'node_filefd_allocated'), 464);
  t.regex(r.text, /\nnode_filefd_maximum 2\.466193e\+06\n/);
  t.regex(r.text, /# HELP node_filefd_allocated File descriptor statistics: allocated\.\n# TYPE node_filefd_allocated gauge\n/);
  t.regex(r.text, /# HELP node_filefd_maximum File descriptor statistics: maximum\.\n# TYPE node_filefd_maximum gauge\n/);
});

test('a LONG_MAX file-max is served as the nearest float, as Go prints it', async (t) => {
  const r = await scrape('unlimited');
  t.is(r.success['filefd'], 1);
  t.is(valueOf(r.text, 'node_filefd_allocated'), 1184);
  t.regex(r.text, /\nnode_filefd_maximum 9\.223372036854776e\+18\n/);
});

for (const scenario of ['short', 'non-numeric', 'empty', 'does-not-exist']) {
  test(`filefd fails cleanly (success 0) on ${scenario} input`, async (t) => {
    const r = await scrape(scenario);
    t.is(r.success['filefd'], 0);
    t.false(r.text.includes('node_filefd_'));
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('filefd')));
  });
}
