import test from 'ava';
import type { Collector } from '../../../src/collector/collector.js';
import { NodeCollector } from '../../../src/collector/node-collector.js';
import { desc } from '../../../src/exposition/model.js';
import { writeText } from '../../../src/exposition/text.js';
import { createLogger } from '../../../src/lib/log.js';
import { NoDataError } from '../../../src/hostfs/errors.js';

const g = desc('test_value', 'A test value.', 'gauge', ['k']);
const other = desc('test_other', 'Another.', 'gauge');

function run(collectors: Record<string, Collector>, timeoutMs = 200, only?: Set<string>) {
  const logs: string[] = [];
  const nc = new NodeCollector(new Map(Object.entries(collectors)), createLogger('debug', 'logfmt', (l) => logs.push(l)));
  return nc.collect(timeoutMs, only).then((families) => ({ text: writeText(families), logs }));
}

test('a throwing collector gives success 0, keeps what it added before, and others still serve', async (t) => {
  const { text, logs } = await run({
    good: { update: async (sink) => sink.add(other, 5) },
    bad: {
      update: async (sink) => {
        sink.add(g, 1, 'before');
        throw new Error('boom');
      },
    },
    syncThrow: {
      update: (() => {
        throw new Error('sync boom');
      }) as Collector['update'],
    },
  });
  t.regex(text, /node_scrape_collector_success\{collector="bad"\} 0/);
  t.regex(text, /node_scrape_collector_success\{collector="syncThrow"\} 0/);
  t.regex(text, /node_scrape_collector_success\{collector="good"\} 1/);
  t.regex(text, /test_value\{k="before"\} 1/);
  t.regex(text, /test_other 5/);
  t.true(logs.some((l) => l.includes('level=ERROR') && l.includes('collector=bad') && l.includes('err=boom')));
});

test('a collector past its deadline is cut off: success 0, late series dropped, scrape answers in time', async (t) => {
  let lateAdded = false;
  const started = Date.now();
  const { text, logs } = await run(
    {
      slow: {
        update: async (sink, signal) => {
          sink.add(g, 1, 'early');
          await new Promise((r) => setTimeout(r, 400));
          t.true(signal.aborted);
          sink.add(g, 2, 'late');
          lateAdded = true;
        },
      },
      hang: { update: () => new Promise<void>(() => {}) },
    },
    100,
  );
  t.true(Date.now() - started < 350, 'the scrape did not wait for the slow collectors');
  t.regex(text, /node_scrape_collector_success\{collector="slow"\} 0/);
  t.regex(text, /node_scrape_collector_success\{collector="hang"\} 0/);
  t.regex(text, /test_value\{k="early"\} 1/);
  t.true(logs.some((l) => l.includes('timed out after 100ms')));
  await new Promise((r) => setTimeout(r, 400));
  t.true(lateAdded);
});

test('NoDataError is success 0 logged at debug only', async (t) => {
  const { text, logs } = await run({ absent: { update: async () => Promise.reject(new NoDataError()) } });
  t.regex(text, /node_scrape_collector_success\{collector="absent"\} 0/);
  t.true(logs.some((l) => l.includes('level=DEBUG') && l.includes('no data')));
  t.false(logs.some((l) => l.includes('level=ERROR')));
});

test('duplicate series and clashing families are dropped with a log, not served twice', async (t) => {
  const clash = desc('test_value', 'Different help.', 'counter', ['k']);
  const { text, logs } = await run({
    a: { update: async (sink) => { sink.add(g, 1, 'x'); sink.add(g, 9, 'x'); } },
    b: { update: async (sink) => sink.add(clash, 3, 'y') },
  });
  t.is(text.match(/^test_value\{/gm)?.length, 1);
  t.regex(text, /test_value\{k="x"\} 1/);
  t.true(logs.some((l) => l.includes('series collected twice')));
  t.true(logs.some((l) => l.includes('different help or type')));
});

test('repeated series are found in short and long families, extra labels and parts included, the first kept', async (t) => {
  for (const count of [3, 40]) {
    const { text, logs } = await run({
      a: {
        update: async (sink) => {
          for (let i = 0; i < count; i++) sink.add(g, i, `v${i}`);
          sink.add(g, 100, 'v1');
          sink.addSample(g, { suffix: '', labels: { k: 'v1', extra: 'e' }, value: 101 });
          sink.addSample(g, { suffix: '', labels: { k: 'v1', extra: 'e' }, value: 102 });
          sink.addSample(g, { suffix: '_x', labels: { k: 'v1' }, value: 103 });
        },
      },
      b: { update: async (sink) => sink.add(g, 200, 'v2') },
    });
    t.is(text.match(/^test_value\{k="v1"\} /gm)?.length, 1, `${count} samples`);
    t.regex(text, /^test_value\{k="v1"\} 1$/m);
    t.regex(text, /^test_value\{extra="e",k="v1"\} 101$/m);
    t.notRegex(text, / 102$/m);
    t.regex(text, /^test_value_x\{k="v1"\} 103$/m);
    t.is(text.match(/^test_value\{k="v2"\} /gm)?.length, 1);
    t.regex(text, /^test_value\{k="v2"\} 2$/m);
    t.is(logs.filter((l) => l.includes('series collected twice')).length, 3, `${count} samples`);
  }
});

test('two collectors may share one family', async (t) => {
  const { text } = await run({
    a: { update: async (sink) => sink.add(g, 1, 'a') },
    b: { update: async (sink) => sink.add(g, 2, 'b') },
  });
  t.regex(text, /# TYPE test_value gauge\ntest_value\{k="a"\} 1\ntest_value\{k="b"\} 2\n/);
});

test('only the requested collectors run', async (t) => {
  let ran = false;
  const { text } = await run({ a: { update: async (sink) => sink.add(other, 1) }, b: { update: async () => { ran = true; } } }, 200, new Set(['a']));
  t.false(ran);
  t.notRegex(text, /collector="b"/);
});

test('a wrong number of label values is a collector error, not a crash', async (t) => {
  const { text } = await run({ a: { update: async (sink) => sink.add(g, 1) } });
  t.regex(text, /node_scrape_collector_success\{collector="a"\} 0/);
});
