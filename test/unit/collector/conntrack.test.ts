import test from 'ava';
import { conntrackCollector } from '../../../src/collector/conntrack.js';
import { parseConntrackStats } from '../../../src/procfs/conntrack.js';
import { collect, fixture } from '../../helpers/collect.js';

const scrape = (scenario: string) => collect(['conntrack'], ['--path.procfs', fixture('conntrack', scenario)], [conntrackCollector]);

const samples = (text: string) => text.split('\n').filter((l) => l.startsWith('node_nf_conntrack'));

const HEADER = 'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n';

test('parseConntrackStats sums the hex columns over CPUs by position', (t) => {
  const cpu = '00000001  00000002 00000003 00000004 00000005 00000006 00000007 00000008 00000009 0000000a 0000000b 0000000c 0000000d  0000000e 0000000f 00000010 00000011\n';
  t.deepEqual(parseConntrackStats(HEADER + cpu + cpu), {
    found: 6, invalid: 10, ignore: 12, insert: 18, insertFailed: 20, drop: 22, earlyDrop: 24, searchRestart: 34,
  });
  // Linux < 2.6.35 has no search_restart column.
  const sixteen = cpu.replace(/ 00000011\n$/, '\n');
  t.is(parseConntrackStats(HEADER + sixteen).searchRestart, 0);
  t.is(parseConntrackStats(HEADER + sixteen).earlyDrop, 12);
  t.is(parseConntrackStats(HEADER).found, 0);
});

test('parseConntrackStats rejects a missing header, wrong widths and non-hex values', (t) => {
  t.throws(() => parseConntrackStats(''), { message: /expected the header line/ });
  t.throws(() => parseConntrackStats(HEADER + '00000001 00000002\n'), { message: /2 columns, expected 16 or 17/ });
  t.throws(() => parseConntrackStats(HEADER + `${'00000000 '.repeat(16)}0000000g\n`), { message: /column 17: expected a hexadecimal number, got "0000000g"/ });
});

test('conntrack serves entries, the limit and the summed statistics as gauges', async (t) => {
  const r = await scrape('modern');
  t.is(r.success['conntrack'], 1);
  t.deepEqual(samples(r.text), [
    'node_nf_conntrack_entries 123',
    'node_nf_conntrack_entries_limit 262144',
    'node_nf_conntrack_stat_drop 6',
    'node_nf_conntrack_stat_early_drop 7',
    'node_nf_conntrack_stat_found 48',
    'node_nf_conntrack_stat_ignore 516',
    'node_nf_conntrack_stat_insert 5',
    'node_nf_conntrack_stat_insert_failed 1',
    'node_nf_conntrack_stat_invalid 7',
    'node_nf_conntrack_stat_search_restart 330',
  ]);
  for (const [name, help] of [
    ['entries', 'Number of currently allocated flow entries for connection tracking.'],
    ['entries_limit', 'Maximum size of connection tracking table.'],
    ['stat_found', 'Number of searched entries which were successful.'],
    ['stat_invalid', 'Number of packets seen which can not be tracked.'],
    ['stat_ignore', 'Number of packets seen which are already connected to a conntrack entry.'],
    ['stat_insert', 'Number of entries inserted into the list.'],
    ['stat_insert_failed', 'Number of entries for which list insertion was attempted but failed.'],
    ['stat_drop', 'Number of packets dropped due to conntrack failure.'],
    ['stat_early_drop', 'Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.'],
    ['stat_search_restart', 'Number of conntrack table lookups which had to be restarted due to hashtable resizes.'],
  ]) {
    t.true(r.text.includes(`# HELP node_nf_conntrack_${name} ${help}\n# TYPE node_nf_conntrack_${name} gauge\n`), name);
  }
});

test('conntrack on Linux 2.6.32 (16 columns) serves search_restart as 0', async (t) => {
  const r = await scrape('kernel-2.6.32');
  t.is(r.success['conntrack'], 1);
  t.true(samples(r.text).includes('node_nf_conntrack_stat_found 17'));
  t.true(samples(r.text).includes('node_nf_conntrack_stat_early_drop 8'));
  t.true(samples(r.text).includes('node_nf_conntrack_stat_search_restart 0'));
});

test('conntrack without the module is "no data"; without the stat file the counts are kept', async (t) => {
  const unloaded = await scrape('does-not-exist');
  t.is(unloaded.success['conntrack'], 0);
  t.deepEqual(samples(unloaded.text), []);
  t.true(unloaded.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
  const noStat = await scrape('no-stat-file');
  t.is(noStat.success['conntrack'], 0);
  t.deepEqual(samples(noStat.text), ['node_nf_conntrack_entries 123', 'node_nf_conntrack_entries_limit 262144']);
  t.false(noStat.logs.some((l) => l.includes('collector failed')));
});

test('malformed conntrack files give success 0', async (t) => {
  for (const scenario of ['short-row', 'non-hex', 'bad-count', 'empty-stat']) {
    const r = await scrape(scenario);
    t.is(r.success['conntrack'], 0, scenario);
    t.false(samples(r.text).some((l) => l.includes('_stat_')), scenario);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('conntrack')), scenario);
  }
});
