import test from 'ava';
import { parseLoadavg } from '../../../src/procfs/loadavg.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

test('parseLoadavg reads the first three fields', (t) => {
  t.deepEqual(parseLoadavg('1.50 0.25 3e-2 2/300 42\n'), { load1: 1.5, load5: 0.25, load15: 0.03 });
});

test('parseLoadavg rejects short, empty and non-numeric input', (t) => {
  t.throws(() => parseLoadavg('0.1 0.2\n'), { message: /at least 3 fields/ });
  t.throws(() => parseLoadavg(''), { message: /at least 3 fields/ });
  t.throws(() => parseLoadavg('0.1 x 0.3'), { message: /load5: expected a number, got "x"/ });
});

test('loadavg collector serves node_load1/5/15 from --path.procfs', async (t) => {
  const r = await collect(['loadavg'], ['--path.procfs', fixture('proc-basic')]);
  t.is(r.success['loadavg'], 1);
  t.is(valueOf(r.text, 'node_load1'), 0.21);
  t.is(valueOf(r.text, 'node_load5'), 0.35);
  t.is(valueOf(r.text, 'node_load15'), 0.4);
  t.regex(r.text, /# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\n/);
});

test('a malformed or missing loadavg gives success 0 and no exception', async (t) => {
  const bad = await collect(['loadavg'], ['--path.procfs', fixture('malformed')]);
  t.is(bad.success['loadavg'], 0);
  t.false(bad.text.includes('node_load1 '));
  t.true(bad.logs.some((l) => l.includes('collector failed') && l.includes('loadavg')));
  const missing = await collect(['loadavg'], ['--path.procfs', fixture('does-not-exist')]);
  t.is(missing.success['loadavg'], 0);
});
