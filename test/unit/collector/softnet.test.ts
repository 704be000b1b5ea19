import test from 'ava';
import { softnetCollector } from '../../../src/collector/softnet.js';
import { parseSoftnet } from '../../../src/procfs/softnet.js';
import { collect, fixture } from '../../helpers/collect.js';

const scrape = (scenario: string) => collect(['softnet'], ['--path.procfs', fixture('softnet', scenario)], [softnetCollector]);

/** The sample lines of node_softnet_* families, in exposition order. */
const samples = (text: string) => text.split('\n').filter((l) => l.startsWith('node_softnet_'));

test('parseSoftnet reads the 15-column rows of Linux 6.x, taking the cpu id from the 13th column', (t) => {
  const row = '0000000a 00000001 00000002 00000000 00000000 00000000 00000000 00000000 00000003 00000004 00000005 00000006 00000007 00000008 00000009';
  t.deepEqual(parseSoftnet(row + '\n'), [
    { processed: 10, dropped: 1, timeSqueezed: 2, cpuCollision: 3, receivedRps: 4, flowLimitCount: 5, backlogLen: 6, cpu: 7 },
  ]);
});

test('parseSoftnet numbers the rows of older kernels and zeroes the columns they lack', (t) => {
  const nine = 'ffffffff 00000001 00000002 00000000 00000000 00000000 00000000 00000000 00000003';
  const eleven = `${nine} 00000004 00000005`;
  t.deepEqual(parseSoftnet(`${nine}\n${eleven}\n`), [
    { processed: 4294967295, dropped: 1, timeSqueezed: 2, cpuCollision: 3, receivedRps: 0, flowLimitCount: 0, backlogLen: 0, cpu: 0 },
    { processed: 4294967295, dropped: 1, timeSqueezed: 2, cpuCollision: 3, receivedRps: 4, flowLimitCount: 5, backlogLen: 0, cpu: 1 },
  ]);
});

test('parseSoftnet rejects short rows, non-hex columns and empty input', (t) => {
  t.throws(() => parseSoftnet('00000001 00000002 00000003\n'), { message: /row 0: 3 columns, expected at least 9/ });
  t.throws(() => parseSoftnet('0000000x 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n'), {
    message: /row 0 processed: expected a hexadecimal number, got "0000000x"/,
  });
  t.throws(() => parseSoftnet(''), { message: /no rows/ });
});

test('softnet serves node_exporter 1.12 families, labelled with the cpu id (cpu 2 offline)', async (t) => {
  const r = await scrape('modern');
  t.is(r.success['softnet'], 1);
  t.deepEqual(samples(r.text), [
    'node_softnet_backlog_len{cpu="0"} 3',
    'node_softnet_backlog_len{cpu="1"} 0',
    'node_softnet_backlog_len{cpu="3"} 7',
    'node_softnet_cpu_collision_total{cpu="0"} 0',
    'node_softnet_cpu_collision_total{cpu="1"} 0',
    'node_softnet_cpu_collision_total{cpu="3"} 0',
    'node_softnet_dropped_total{cpu="0"} 2',
    'node_softnet_dropped_total{cpu="1"} 0',
    'node_softnet_dropped_total{cpu="3"} 5',
    'node_softnet_flow_limit_count_total{cpu="0"} 1',
    'node_softnet_flow_limit_count_total{cpu="1"} 0',
    'node_softnet_flow_limit_count_total{cpu="3"} 0',
    'node_softnet_processed_total{cpu="0"} 3.086908e+06',
    'node_softnet_processed_total{cpu="1"} 2.9425646e+07',
    'node_softnet_processed_total{cpu="3"} 4.294967295e+09',
    'node_softnet_received_rps_total{cpu="0"} 44',
    'node_softnet_received_rps_total{cpu="1"} 9',
    'node_softnet_received_rps_total{cpu="3"} 0',
    'node_softnet_times_squeezed_total{cpu="0"} 17',
    'node_softnet_times_squeezed_total{cpu="1"} 255',
    'node_softnet_times_squeezed_total{cpu="3"} 0',
  ]);
  for (const [name, type, help] of [
    ['node_softnet_processed_total', 'counter', 'Number of processed packets'],
    ['node_softnet_dropped_total', 'counter', 'Number of dropped packets'],
    ['node_softnet_times_squeezed_total', 'counter', 'Number of times processing packets ran out of quota'],
    ['node_softnet_cpu_collision_total', 'counter', 'Number of collision occur while obtaining device lock while transmitting'],
    ['node_softnet_received_rps_total', 'counter', 'Number of times cpu woken up received_rps'],
    ['node_softnet_flow_limit_count_total', 'counter', 'Number of times flow limit has been reached'],
    ['node_softnet_backlog_len', 'gauge', 'Softnet backlog status'],
  ]) {
    t.true(r.text.includes(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`), name);
  }
});

test('older kernels: cpu is the row number, absent columns are 0', async (t) => {
  const k419 = await scrape('kernel-4.19');
  t.is(k419.success['softnet'], 1);
  t.true(samples(k419.text).includes('node_softnet_flow_limit_count_total{cpu="1"} 7'));
  t.true(samples(k419.text).includes('node_softnet_received_rps_total{cpu="0"} 4'));
  t.true(samples(k419.text).includes('node_softnet_backlog_len{cpu="1"} 0'));
  const k2632 = await scrape('kernel-2.6.32');
  t.is(k2632.success['softnet'], 1);
  t.true(samples(k2632.text).includes('node_softnet_processed_total{cpu="0"} 2748'));
  t.true(samples(k2632.text).includes('node_softnet_cpu_collision_total{cpu="0"} 9'));
  t.true(samples(k2632.text).includes('node_softnet_received_rps_total{cpu="1"} 0'));
  t.is(samples(k2632.text).length, 14);
});

test('malformed softnet_stat gives success 0 and no series; a missing one is "no data"', async (t) => {
  for (const scenario of ['short-row', 'non-hex', 'empty']) {
    const r = await scrape(scenario);
    t.is(r.success['softnet'], 0, scenario);
    t.deepEqual(samples(r.text), [], scenario);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('softnet')), scenario);
  }
  const missing = await scrape('does-not-exist');
  t.is(missing.success['softnet'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
});
