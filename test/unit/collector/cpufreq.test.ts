import test from 'ava';
import { cpufreqCollector } from '../../../src/collector/cpufreq.js';
import { cpuEntries, governorStates, parseKilohertz } from '../../../src/sysfs/cpufreq.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const scrape = (tree: string) => collect(['cpufreq'], ['--path.sysfs', fixture('cpufreq', tree)], [cpufreqCollector]);

test('cpuEntries keeps cpuN directories only, as the glob cpu[0-9]* does', (t) => {
  t.deepEqual(cpuEntries(['cpufreq', 'cpu10', 'cpuidle', 'cpu2', 'online', 'cpu0']), ['cpu0', 'cpu10', 'cpu2']);
});

test('parseKilohertz converts kHz to Hz and rejects anything but an unsigned integer', (t) => {
  t.is(parseKilohertz('2400123\n', 'f'), 2.400123e9);
  t.throws(() => parseKilohertz('<unknown>\n', 'f'), { message: /f: expected an unsigned integer/ });
  t.throws(() => parseKilohertz('-5', 'f'));
  t.throws(() => parseKilohertz('', 'f'));
});

test('governorStates marks the current governor among the available ones', (t) => {
  t.deepEqual(governorStates('performance powersave\n', 'powersave\n'), [
    ['performance', 0],
    ['powersave', 1],
  ]);
});

test('cpufreq serves frequencies in Hz and governors per CPU, following cpufreq policy links', async (t) => {
  const r = await scrape('full');
  t.is(r.success['cpufreq'], 1);
  t.is(valueOf(r.text, 'node_cpu_frequency_hertz{cpu="0"}'), 2.4e9);
  t.is(valueOf(r.text, 'node_cpu_frequency_avg_hertz{cpu="1"}'), 1.234567e9);
  t.is(valueOf(r.text, 'node_cpu_frequency_min_hertz{cpu="1"}'), 8e8);
  t.is(valueOf(r.text, 'node_cpu_frequency_max_hertz{cpu="1"}'), 3.9e9);
  t.is(valueOf(r.text, 'node_cpu_scaling_frequency_hertz{cpu="0"}'), 2.400123e9);
  t.is(valueOf(r.text, 'node_cpu_scaling_frequency_hertz{cpu="1"}'), 3.899999e9);
  t.is(valueOf(r.text, 'node_cpu_scaling_frequency_min_hertz{cpu="0"}'), 8e8);
  t.is(valueOf(r.text, 'node_cpu_scaling_frequency_max_hertz{cpu="0"}'), 3.9e9);
  t.regex(r.text, /node_cpu_scaling_frequency_hertz\{cpu="0"\} 2\.400123e\+09\n/);
  // cpu0 has no cpuinfo_avg_freq and cpu1 no cpuinfo_cur_freq (root-only on real hosts): left out.
  t.is(valueOf(r.text, 'node_cpu_frequency_avg_hertz{cpu="0"}'), undefined);
  t.is(valueOf(r.text, 'node_cpu_frequency_hertz{cpu="1"}'), undefined);
  // cpu2 has no cpufreq directory at all.
  t.false(r.text.includes('cpu="2"'));
  t.is(valueOf(r.text, 'node_cpu_scaling_governor{cpu="0",governor="powersave"}'), 1);
  t.is(valueOf(r.text, 'node_cpu_scaling_governor{cpu="0",governor="performance"}'), 0);
  t.is(valueOf(r.text, 'node_cpu_scaling_governor{cpu="1",governor="schedutil"}'), 1);
  t.is((r.text.match(/^node_cpu_scaling_governor\{cpu="1"/gm) ?? []).length, 6);
  t.regex(
    r.text,
    /# HELP node_cpu_scaling_frequency_hertz Current scaled CPU thread frequency in hertz.\n# TYPE node_cpu_scaling_frequency_hertz gauge\n/,
  );
  t.regex(r.text, /# HELP node_cpu_frequency_hertz Current CPU thread frequency in hertz.\n/);
  t.regex(r.text, /# HELP node_cpu_scaling_governor Current enabled CPU frequency governor.\n/);
});

test('older kernels: no offline file and no available governors still give frequencies', async (t) => {
  const r = await scrape('old-kernel');
  t.is(r.success['cpufreq'], 1);
  t.is(valueOf(r.text, 'node_cpu_scaling_frequency_hertz{cpu="0"}'), 2.400123e9);
  t.false(r.text.includes('node_cpu_scaling_governor'));
});

test('offline CPUs are not read', async (t) => {
  const r = await scrape('offline');
  t.is(r.success['cpufreq'], 1);
  t.is(valueOf(r.text, 'node_cpu_scaling_frequency_hertz{cpu="0"}'), 2.400123e9);
  t.false(r.text.includes('cpu="1"'));
});

test('a malformed frequency, an empty file or a bad offline list fail the scrape with no partial output', async (t) => {
  for (const tree of ['malformed', 'empty-value', 'bad-offline']) {
    const r = await scrape(tree);
    t.is(r.success['cpufreq'], 0, tree);
    t.false(r.text.includes('node_cpu_'), tree);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('cpufreq')), tree);
  }
});

test('no cpufreq anywhere serves nothing and succeeds, as node_exporter does, saying so at debug level', async (t) => {
  for (const tree of ['no-cpufreq', 'does-not-exist']) {
    const r = await scrape(tree);
    t.is(r.success['cpufreq'], 1, tree);
    t.false(r.text.includes('node_cpu_frequency'), tree);
    t.true(r.logs.some((l) => l.includes('level=DEBUG') && l.includes('no cpufreq directories')), tree);
    t.false(r.logs.some((l) => l.includes('level=ERROR')), tree);
  }
});
