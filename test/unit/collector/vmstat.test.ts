import test from 'ava';
import { vmstatCollector } from '../../../src/collector/vmstat.js';
import { parseVmstat } from '../../../src/procfs/vmstat.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const scrape = (scenario: string, ...argv: string[]) =>
  collect(['vmstat'], ['--path.procfs', fixture('vmstat', scenario), ...argv], [vmstatCollector]);

const seriesNames = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('node_vmstat_'))
    .map((l) => l.split(' ')[0]);

test('parseVmstat returns name/value pairs in file order', (t) => {
  t.deepEqual(parseVmstat('nr_free_pages 6063127\n\npgfault 18446744073709551615\n'), [
    ['nr_free_pages', 6063127],
    ['pgfault', 18446744073709551615],
  ]);
});

test('parseVmstat rejects truncated, non-numeric, over-long and empty input', (t) => {
  t.throws(() => parseVmstat('pgfault\n'), { message: /expected "name value", got "pgfault"/ });
  t.throws(() => parseVmstat('pgfault 12 34\n'), { message: /expected "name value"/ });
  t.throws(() => parseVmstat('pgfault 2O59\n'), { message: /pgfault: expected an unsigned integer, got "2O59"/ });
  t.throws(() => parseVmstat(''), { message: /no fields/ });
});

test('vmstat serves the default fields as untyped with the exact help', async (t) => {
  const r = await scrape('host');
  t.is(r.success['vmstat'], 1);
  t.deepEqual(seriesNames(r.text), [
    'node_vmstat_oom_kill',
    'node_vmstat_pgfault',
    'node_vmstat_pgmajfault',
    'node_vmstat_pgpgin',
    'node_vmstat_pgpgout',
    'node_vmstat_pswpin',
    'node_vmstat_pswpout',
  ]);
  t.regex(r.text, /\nnode_vmstat_pgfault 2\.818087e\+06\n/);
  t.is(valueOf(r.text, 'node_vmstat_pgmajfault'), 813);
  t.is(valueOf(r.text, 'node_vmstat_pgpgin'), 917677);
  t.is(valueOf(r.text, 'node_vmstat_oom_kill'), 0);
  t.regex(r.text, /# HELP node_vmstat_pgpgout \/proc\/vmstat information field pgpgout\.\n# TYPE node_vmstat_pgpgout untyped\n/);
});

test('--collector.vmstat.fields is an unanchored regex over the field names', async (t) => {
  const exact = await scrape('host', '--collector.vmstat.fields=^nr_free_pages$');
  t.deepEqual(seriesNames(exact.text), ['node_vmstat_nr_free_pages']);
  t.is(valueOf(exact.text, 'node_vmstat_nr_free_pages'), 1141551);
  // Unanchored, like Go's MatchString: "majfault" matches pgmajfault only.
  const partial = await scrape('host', '--collector.vmstat.fields', 'majfault');
  t.deepEqual(seriesNames(partial.text), ['node_vmstat_pgmajfault']);
  const all = await scrape('host', '--collector.vmstat.fields=.*');
  t.is(seriesNames(all.text).length, 192);
});

test('an invalid --collector.vmstat.fields is rejected at start-up', async (t) => {
  await t.throwsAsync(() => scrape('host', '--collector.vmstat.fields=(pgfault'), {
    message: /invalid value for flag --collector\.vmstat\.fields/,
  });
});

test('a kernel without oom_kill (before 4.13) serves the others', async (t) => {
  const r = await scrape('old-kernel');
  t.is(r.success['vmstat'], 1);
  t.deepEqual(seriesNames(r.text), [
    'node_vmstat_pgfault',
    'node_vmstat_pgmajfault',
    'node_vmstat_pgpgin',
    'node_vmstat_pgpgout',
    'node_vmstat_pswpin',
    'node_vmstat_pswpout',
  ]);
  t.is(valueOf(r.text, 'node_vmstat_pgfault'), 91350977);
});

for (const scenario of ['non-numeric', 'truncated', 'empty', 'does-not-exist']) {
  test(`vmstat fails cleanly (success 0) on ${scenario} input`, async (t) => {
    // non-numeric breaks a field the filter does not select: the whole file is still rejected.
    const r = await scrape(scenario);
    t.is(r.success['vmstat'], 0);
    t.false(r.text.includes('node_vmstat_'));
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('vmstat')));
  });
}
