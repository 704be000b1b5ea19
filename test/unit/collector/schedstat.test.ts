import test from 'ava';
import { schedstatCollector } from '../../../src/collector/schedstat.js';
import { parseSchedstat } from '../../../src/procfs/schedstat.js';
import { collect, fixture } from '../../helpers/collect.js';

const scrape = (scenario: string) => collect(['schedstat'], ['--path.procfs', fixture('schedstat', scenario)], [schedstatCollector]);

const samples = (text: string) => text.split('\n').filter((l) => l.startsWith('node_schedstat_'));

test('parseSchedstat takes the 7th to 9th counters of cpu lines and skips other lines', (t) => {
  const text = 'version 15\ntimestamp 4295\ncpu0 0 0 1 2 3 4 5000 6000 7\ndomain0 00000003 1 2 3\ncpu12 1 1 1 1 1 1 8 9 10 11 12\n';
  t.deepEqual(parseSchedstat(text), [
    { cpu: '0', runningNanoseconds: 5000, waitingNanoseconds: 6000, timeslices: 7 },
    { cpu: '12', runningNanoseconds: 8, waitingNanoseconds: 9, timeslices: 10 },
  ]);
});

test('parseSchedstat rejects short or non-numeric cpu lines and files without cpu lines', (t) => {
  t.throws(() => parseSchedstat('cpu0 0 0 1 2 3 4 5000 6000\n'), { message: /cpu0: 8 counters, expected at least 9/ });
  t.throws(() => parseSchedstat('cpu0 0 0 1 2 3 4 5000 6OOO 7\n'), { message: /cpu0 counter 8: expected an unsigned integer, got "6OOO"/ });
  t.throws(() => parseSchedstat('version 15\ntimestamp 1\n'), { message: /no cpu lines/ });
  t.throws(() => parseSchedstat(''), { message: /no cpu lines/ });
});

test('schedstat serves running and waiting seconds (ns / 1e9) and timeslices per cpu', async (t) => {
  const r = await scrape('modern');
  t.is(r.success['schedstat'], 1);
  t.deepEqual(samples(r.text), [
    'node_schedstat_running_seconds_total{cpu="0"} 2.045936778163039e+06',
    'node_schedstat_running_seconds_total{cpu="1"} 1.904433570983441e+06',
    'node_schedstat_timeslices_total{cpu="0"} 4.767485306e+09',
    'node_schedstat_timeslices_total{cpu="1"} 4.534321711e+09',
    'node_schedstat_waiting_seconds_total{cpu="0"} 343796.328169361',
    'node_schedstat_waiting_seconds_total{cpu="1"} 295831.024411003',
  ]);
  t.regex(r.text, /# HELP node_schedstat_running_seconds_total Number of seconds CPU spent running a process\.\n# TYPE node_schedstat_running_seconds_total counter\n/);
  t.regex(r.text, /# HELP node_schedstat_waiting_seconds_total Number of seconds spent by processing waiting for this CPU\.\n# TYPE node_schedstat_waiting_seconds_total counter\n/);
  t.regex(r.text, /# HELP node_schedstat_timeslices_total Number of timeslices executed by CPU\.\n# TYPE node_schedstat_timeslices_total counter\n/);
  const extra = await scrape('extra-counters');
  t.deepEqual(samples(extra.text), [
    'node_schedstat_running_seconds_total{cpu="3"} 7',
    'node_schedstat_timeslices_total{cpu="3"} 9',
    'node_schedstat_waiting_seconds_total{cpu="3"} 8.5',
  ]);
});

test('malformed schedstat gives success 0; a missing one (no CONFIG_SCHEDSTATS) is "no data"', async (t) => {
  for (const scenario of ['short-cpu-line', 'non-numeric', 'no-cpu-lines', 'empty']) {
    const r = await scrape(scenario);
    t.is(r.success['schedstat'], 0, scenario);
    t.deepEqual(samples(r.text), [], scenario);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('schedstat')), scenario);
  }
  const missing = await scrape('does-not-exist');
  t.is(missing.success['schedstat'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
});
