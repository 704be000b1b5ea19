import test from 'ava';
import { cpuCollector } from '../../../src/collector/cpu.js';
import { statCollector } from '../../../src/collector/stat.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const run = (dir: string, ...argv: string[]) => collect(['stat'], ['--path.procfs', fixture('stat', dir), ...argv], [statCollector]);

test('stat serves the /proc/stat counters and gauges with node_exporter HELP and TYPE', async (t) => {
  const r = await run('full');
  t.is(r.success['stat'], 1);
  const expected: Array<[string, string, string, number]> = [
    ['node_intr_total', 'Total number of interrupts serviced.', 'counter', 18734522],
    ['node_context_switches_total', 'Total number of context switches.', 'counter', 43811290],
    ['node_forks_total', 'Total number of forks.', 'counter', 251877],
    ['node_boot_time_seconds', 'Node boot time, in unixtime.', 'gauge', 1733011200],
    ['node_procs_running', 'Number of processes in runnable state.', 'gauge', 4],
    ['node_procs_blocked', 'Number of processes blocked waiting for I/O to complete.', 'gauge', 2],
  ];
  for (const [name, help, type, value] of expected) {
    t.true(r.text.includes(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} `), name);
    t.is(valueOf(r.text, name), value, name);
  }
  t.true(r.text.includes('node_boot_time_seconds 1.7330112e+09\n'), 'Go float formatting');
  // softirqs are off by default, and stat never exports per-CPU times.
  t.false(r.text.includes('node_softirqs_total'));
  t.false(r.text.includes('node_cpu'));
});

test('--collector.stat.softirq adds node_softirqs_total per vector', async (t) => {
  const r = await run('full', '--collector.stat.softirq');
  t.is(r.success['stat'], 1);
  t.true(r.text.includes('# HELP node_softirqs_total Number of softirq calls.\n# TYPE node_softirqs_total counter\n'));
  const expected = {
    hi: 12,
    timer: 2011987,
    net_tx: 851,
    net_rx: 640222,
    block: 98123,
    block_iopoll: 0,
    tasklet: 31,
    sched: 1901004,
    hrtimer: 0,
    rcu: 2752291,
  };
  for (const [vector, value] of Object.entries(expected)) t.is(valueOf(r.text, `node_softirqs_total{vector="${vector}"}`), value, vector);
  t.is(r.text.split('\n').filter((l) => l.startsWith('node_softirqs_total{')).length, 10);
});

test('an old kernel without procs_* and softirq lines gives the rest, not zeros', async (t) => {
  const r = await run('old-kernel', '--collector.stat.softirq');
  t.is(r.success['stat'], 1);
  t.is(valueOf(r.text, 'node_intr_total'), 2211907);
  t.is(valueOf(r.text, 'node_context_switches_total'), 845210);
  t.is(valueOf(r.text, 'node_boot_time_seconds'), 1104537600);
  t.is(valueOf(r.text, 'node_forks_total'), 7421);
  t.false(r.text.includes('node_procs_running'));
  t.false(r.text.includes('node_procs_blocked'));
  t.false(r.text.includes('node_softirqs_total'));
});

test('malformed, truncated, empty or missing /proc/stat gives stat success 0 and no series', async (t) => {
  for (const dir of ['bad-btime', 'bad-intr', 'short-softirq', 'truncated', 'empty', 'does-not-exist']) {
    const r = await run(dir);
    t.is(r.success['stat'], 0, dir);
    t.false(/^node_(intr|context_switches|forks)_total /m.test(r.text), dir);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('stat')), dir);
  }
});

test('the combined fixture tree has a well-formed /proc/stat for both collectors', async (t) => {
  const r = await collect(['cpu', 'stat'], ['--path.procfs', fixture('tree', 'proc')], [cpuCollector, statCollector]);
  t.is(r.success['cpu'], 1);
  t.is(r.success['stat'], 1);
  t.true((valueOf(r.text, 'node_boot_time_seconds') ?? 0) > 1e9);
});
