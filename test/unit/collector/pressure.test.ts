import test from 'ava';
import type { CollectorFactory } from '../../../src/collector/collector.js';
import { addPressure, pressureCollector, type PressureReader } from '../../../src/collector/pressure.js';
import { parsePressure } from '../../../src/procfs/pressure.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const scrape = (scenario: string) => collect(['pressure'], ['--path.procfs', fixture('pressure', scenario)], [pressureCollector]);

const seriesNames = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('node_pressure_'))
    .map((l) => l.split(' ')[0]);

const noDataLogged = (logs: string[]) => logs.some((l) => l.includes('collector returned no data') && l.includes('pressure'));
const failureLogged = (logs: string[]) => logs.some((l) => l.includes('collector failed') && l.includes('pressure'));

test('parsePressure reads some and full lines, and ignores other kinds', (t) => {
  t.deepEqual(
    parsePressure('some avg10=6.19 avg60=3.84 avg300=2.82 total=20320596\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7\nnew avg10=x\n'),
    {
      some: { avg10: 6.19, avg60: 3.84, avg300: 2.82, totalMicroseconds: 20320596 },
      full: { avg10: 0, avg60: 0, avg300: 0, totalMicroseconds: 7 },
    },
  );
  t.deepEqual(parsePressure('full avg10=0.00 avg60=0.00 avg300=0.00 total=1500000\n'), {
    some: undefined,
    full: { avg10: 0, avg60: 0, avg300: 0, totalMicroseconds: 1500000 },
  });
  t.deepEqual(parsePressure(''), { some: undefined, full: undefined });
});

test('parsePressure rejects truncated and non-numeric some/full lines', (t) => {
  t.throws(() => parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00\n'), { message: /some: expected total=…, got nothing/ });
  t.throws(() => parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=\n'), { message: /some total: expected an unsigned integer/ });
  t.throws(() => parsePressure('full avg10=0.00 avg60=abc avg300=0.00 total=1\n'), { message: /full avg60: expected a number, got "abc"/ });
  t.throws(() => parsePressure('some avg60=0.00 avg10=0.00 avg300=0.00 total=1\n'), { message: /some: expected avg10=…, got "avg60=0.00"/ });
});

test('pressure on a 6.x host without irq: five counters, µs / 1000 / 1000 as node_exporter rounds it', async (t) => {
  const r = await scrape('host');
  t.is(r.success['pressure'], 1);
  t.deepEqual(seriesNames(r.text), [
    'node_pressure_cpu_waiting_seconds_total',
    'node_pressure_io_stalled_seconds_total',
    'node_pressure_io_waiting_seconds_total',
    'node_pressure_memory_stalled_seconds_total',
    'node_pressure_memory_waiting_seconds_total',
  ]);
  // Exactly what node_exporter printed for these files (÷1e6 would give 20.320596 and 4.163002).
  t.regex(r.text, /\nnode_pressure_cpu_waiting_seconds_total 20\.320596000000002\n/);
  t.regex(r.text, /\nnode_pressure_io_waiting_seconds_total 4\.1630020000000005\n/);
  t.is(valueOf(r.text, 'node_pressure_io_stalled_seconds_total'), 3.720053);
  t.is(valueOf(r.text, 'node_pressure_memory_waiting_seconds_total'), 0.051234);
  t.regex(r.text, /\nnode_pressure_memory_stalled_seconds_total 0\.040000999999999995\n/);
  const help: Record<string, string> = {
    cpu_waiting: 'Total time in seconds that processes have waited for CPU time',
    io_waiting: 'Total time in seconds that processes have waited due to IO congestion',
    io_stalled: 'Total time in seconds no process could make progress due to IO congestion',
    memory_waiting: 'Total time in seconds that processes have waited for memory',
    memory_stalled: 'Total time in seconds no process could make progress due to memory congestion',
  };
  for (const [name, text] of Object.entries(help)) {
    const metric = `node_pressure_${name}_seconds_total`;
    t.true(r.text.includes(`# HELP ${metric} ${text}\n# TYPE ${metric} counter\n`), metric);
  }
});

test('the irq file (6.1+) adds the irq stalled counter from its full line', async (t) => {
  const r = await scrape('with-irq');
  t.is(r.success['pressure'], 1);
  t.is(seriesNames(r.text).length, 6);
  t.is(valueOf(r.text, 'node_pressure_irq_stalled_seconds_total'), 1.5);
  t.true(
    r.text.includes(
      '# HELP node_pressure_irq_stalled_seconds_total Total time in seconds no process could make progress due to IRQ congestion\n' +
        '# TYPE node_pressure_irq_stalled_seconds_total counter\n',
    ),
  );
});

test('kernels before 5.13 have no cpu full line, which is not needed', async (t) => {
  const r = await scrape('old-kernel');
  t.is(r.success['pressure'], 1);
  t.is(valueOf(r.text, 'node_pressure_cpu_waiting_seconds_total'), 987.654321);
  t.is(seriesNames(r.text).length, 5);
});

test('a missing resource file is skipped', async (t) => {
  const r = await scrape('memory-missing');
  t.is(r.success['pressure'], 1);
  t.deepEqual(seriesNames(r.text), [
    'node_pressure_cpu_waiting_seconds_total',
    'node_pressure_io_stalled_seconds_total',
    'node_pressure_io_waiting_seconds_total',
  ]);
});

test('no pressure files at all is no data, logged at debug only', async (t) => {
  for (const scenario of ['none', 'does-not-exist']) {
    const r = await scrape(scenario);
    t.is(r.success['pressure'], 0, scenario);
    t.false(r.text.includes('node_pressure_'));
    t.true(noDataLogged(r.logs), scenario);
    t.false(failureLogged(r.logs), scenario);
  }
});

test('a required line missing is no data; what came before it is kept', async (t) => {
  const r = await scrape('io-no-full');
  t.is(r.success['pressure'], 0);
  t.deepEqual(seriesNames(r.text), ['node_pressure_cpu_waiting_seconds_total']);
  t.true(noDataLogged(r.logs));
});

test('a malformed line fails the collector', async (t) => {
  const r = await scrape('malformed');
  t.is(r.success['pressure'], 0);
  t.true(failureLogged(r.logs));
  t.true(r.logs.some((l) => l.includes('pressure/io')));
});

/** The pressure collector with a fake reader, for errors a fixture tree cannot produce. */
function withReader(read: PressureReader): CollectorFactory {
  return { ...pressureCollector, create: () => ({ update: (sink, signal) => addPressure(sink, read, signal) }) };
}

const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

test('ENOTSUP (kernel booted with psi=0) is no data, not a failure', async (t) => {
  for (const code of ['ENOTSUP', 'EOPNOTSUPP']) {
    const r = await collect(['pressure'], [], [withReader(() => Promise.reject(errno(code)))]);
    t.is(r.success['pressure'], 0, code);
    t.true(noDataLogged(r.logs), code);
    t.false(failureLogged(r.logs), code);
  }
});

test('other read errors fail the collector', async (t) => {
  const r = await collect(['pressure'], [], [withReader(() => Promise.reject(errno('EACCES')))]);
  t.is(r.success['pressure'], 0);
  t.true(failureLogged(r.logs));
});
