import test from 'ava';
import { MEMINFO_FIELDS, MEMINFO_METRIC_NAMES, meminfoCollector } from '../../../src/collector/meminfo.js';
import { parseMeminfo } from '../../../src/procfs/meminfo.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const scrape = (scenario: string) => collect(['meminfo'], ['--path.procfs', fixture('meminfo', scenario)], [meminfoCollector]);

test('parseMeminfo keeps keys as printed, values unscaled, and notes the kB unit', (t) => {
  const m = parseMeminfo('MemTotal:       24684096 kB\nActive(anon):  1540 kB\n\nHugePages_Total:      16\n');
  t.deepEqual([...m], [
    ['MemTotal', { value: 24684096, inKiB: true }],
    ['Active(anon)', { value: 1540, inKiB: true }],
    ['HugePages_Total', { value: 16, inKiB: false }],
  ]);
});

test('parseMeminfo rejects other units, truncated, non-numeric, over-long and empty input', (t) => {
  t.throws(() => parseMeminfo('MemFree: 24252 MB\n'), { message: /MemFree: unsupported unit "MB"/ });
  t.throws(() => parseMeminfo('MemFree:\n'), { message: /MemFree: expected an unsigned integer, got nothing/ });
  t.throws(() => parseMeminfo('MemFree: 12x kB\n'), { message: /MemFree: expected an unsigned integer, got "12x"/ });
  t.throws(() => parseMeminfo('MemFree: -1 kB\n'), { message: /expected an unsigned integer/ });
  t.throws(() => parseMeminfo('MemFree: 1 kB extra\n'), { message: /malformed line/ });
  t.throws(() => parseMeminfo('MemFree 1 kB\n'), { message: /malformed line/ });
  t.throws(() => parseMeminfo('\n\n'), { message: /no fields/ });
});

test('the fixed list is node_exporter 1.9+ (51 names) and leaves out the generic-era extras', (t) => {
  t.is(MEMINFO_FIELDS.length, 51);
  t.is(MEMINFO_METRIC_NAMES.length, 51);
  t.true(MEMINFO_FIELDS.includes('Active(anon)'));
  t.true(MEMINFO_METRIC_NAMES.includes('node_memory_Active_anon_bytes'));
  t.true(MEMINFO_METRIC_NAMES.includes('node_memory_HugePages_Total'));
  t.true(MEMINFO_METRIC_NAMES.includes('node_memory_Zswapped_bytes'));
  for (const absent of ['KReclaimable', 'SecPageTables', 'FileHugePages', 'FilePmdMapped', 'Hugetlb', 'Unaccepted', 'Balloon']) {
    t.false(MEMINFO_METRIC_NAMES.includes(`node_memory_${absent}_bytes`), absent);
  }
});

test('meminfo serves kB×1024 as _bytes, HugePages_* raw, (x) as _x, and the exact help', async (t) => {
  const r = await scrape('host');
  t.is(r.success['meminfo'], 1);
  t.is(valueOf(r.text, 'node_memory_MemTotal_bytes'), 24684096 * 1024);
  t.regex(r.text, /\nnode_memory_VmallocTotal_bytes 3\.5184372087808e\+13\n/);
  t.is(valueOf(r.text, 'node_memory_Active_anon_bytes'), 1540 * 1024);
  t.is(valueOf(r.text, 'node_memory_Inactive_file_bytes'), 155912 * 1024);
  t.is(valueOf(r.text, 'node_memory_Committed_AS_bytes'), 147584 * 1024);
  t.is(valueOf(r.text, 'node_memory_HugePages_Total'), 16);
  t.is(valueOf(r.text, 'node_memory_HugePages_Free'), 12);
  t.is(valueOf(r.text, 'node_memory_HugePages_Rsvd'), 3);
  t.is(valueOf(r.text, 'node_memory_HugePages_Surp'), 1);
  t.is(valueOf(r.text, 'node_memory_Hugepagesize_bytes'), 2048 * 1024);
  t.regex(
    r.text,
    /# HELP node_memory_Active_anon_bytes Memory information field Active_anon_bytes\.\n# TYPE node_memory_Active_anon_bytes gauge\n/,
  );
  t.regex(r.text, /# HELP node_memory_HugePages_Total Memory information field HugePages_Total\.\n# TYPE node_memory_HugePages_Total gauge\n/);
  // Present in the file, but not in node_exporter's list since 1.9.
  t.false(r.text.includes('KReclaimable'));
  t.false(r.text.includes('SecPageTables'));
  t.false(r.text.includes('Hugetlb'));
  // 54 lines in the file: all but the six extras above (and Balloon, FileHugePages, FilePmdMapped).
  t.is(r.text.split('\n').filter((l) => l.startsWith('node_memory_')).length, 48);
});

test('an old kernel without MemAvailable and with a blank line still succeeds', async (t) => {
  const r = await scrape('old-kernel');
  t.is(r.success['meminfo'], 1);
  t.is(valueOf(r.text, 'node_memory_MemAvailable_bytes'), undefined);
  t.is(valueOf(r.text, 'node_memory_Slab_bytes'), 117480 * 1024);
  t.is(valueOf(r.text, 'node_memory_VmallocChunk_bytes'), 34359440112 * 1024);
  t.is(valueOf(r.text, 'node_memory_DirectMap1G_bytes'), undefined);
});

for (const scenario of ['bad-unit', 'non-numeric', 'truncated', 'empty', 'does-not-exist']) {
  test(`meminfo fails cleanly (success 0) on ${scenario} input`, async (t) => {
    const r = await scrape(scenario);
    t.is(r.success['meminfo'], 0);
    t.false(r.text.includes('node_memory_'));
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('meminfo')));
  });
}
