import test from 'ava';
import { parseTextFormat, TextParseError, type TextFamily } from '../../../src/exposition/text-parse.js';
import { parseGoFloat } from '../../../src/gocompat/go-float.js';

const byName = (families: TextFamily[]): Map<string, TextFamily> => new Map(families.map((f) => [f.name, f]));

test('parseGoFloat accepts what Go\'s ParseFloat does for decimal text', (t) => {
  t.is(parseGoFloat('1'), 1);
  t.is(parseGoFloat('-3.5e-1'), -0.35);
  t.is(parseGoFloat('.5'), 0.5);
  t.is(parseGoFloat('5.'), 5);
  t.is(parseGoFloat('+Inf'), Infinity);
  t.is(parseGoFloat('-inf'), -Infinity);
  t.is(parseGoFloat('Infinity'), Infinity);
  t.true(Number.isNaN(parseGoFloat('NaN')));
  t.true(Number.isNaN(parseGoFloat('nan')));
  t.is(parseGoFloat('1e-400'), 0);
  for (const bad of ['', ' 1', '1 ', '1e400', '+NaN', 'infin', '0x10', '1_000', '1e', '.', 'abc']) {
    t.is(parseGoFloat(bad), undefined, bad);
  }
});

test('families, types, HELP escapes and label escapes', (t) => {
  const families = parseTextFormat(
    [
      '# free comment',
      '# HELP a_total Line one.\\nBack\\\\slash.',
      '# TYPE a_total COUNTER',
      'a_total{path="/say \\"hi\\"",x="C:\\\\d\\nz"} 3',
      '',
      '  \t# TYPE g gauge',
      'g { room = "hall" , } -0.5',
      'g{room="roof"}+Inf',
      'u NaN',
      '# HELP only_help is dropped',
      '',
    ].join('\n'),
  );
  t.deepEqual(
    families.map((f) => [f.name, f.type, f.help]),
    [
      ['a_total', 'counter', 'Line one.\nBack\\slash.'],
      ['g', 'gauge', undefined],
      ['u', 'untyped', undefined],
    ],
  );
  const m = byName(families);
  t.deepEqual(m.get('a_total')?.metrics[0]?.labels, [
    ['path', '/say "hi"'],
    ['x', 'C:\\d\nz'],
  ]);
  t.is(m.get('a_total')?.metrics[0]?.value, 3);
  t.deepEqual(m.get('g')?.metrics.map((x) => [x.labels, x.value]), [
    [[['room', 'hall']], -0.5],
    [[['room', 'roof']], Infinity],
  ]);
  t.true(Number.isNaN(m.get('u')?.metrics[0]?.value));
});

test('histograms and summaries are grouped by their labels without le / quantile', (t) => {
  const m = byName(
    parseTextFormat(
      [
        '# TYPE h histogram',
        'h_bucket{le="0.5",p="/"} 10',
        'h_bucket{p="/",le="+Inf"} 12',
        'h_sum{p="/"} 3.25',
        'h_count{p="/"} 12',
        'h_bucket{p="/x",le="1"} 1',
        'h_bucket{p="/x",le="NaN"} 5',
        '# TYPE s summary',
        's{quantile="0.5"} 2.5',
        's_sum 120',
        's_count 40.9',
        's{a="1"} 7',
        'early_count 1',
        '# TYPE early summary',
        '',
      ].join('\n'),
    ),
  );
  const h = m.get('h');
  t.is(h?.metrics.length, 2);
  t.deepEqual(h?.metrics[0], { labels: [['p', '/']], quantiles: [], buckets: [[0.5, 10], [Infinity, 12]], sum: 3.25, count: 12 });
  t.deepEqual(h?.metrics[1]?.buckets, [[1, 1]]); // le="NaN" is ignored, as by expfmt
  const s = m.get('s');
  t.deepEqual(s?.metrics[0], { labels: [], quantiles: [[0.5, 2.5]], buckets: [], sum: 120, count: 40 });
  // A summary line without quantile still starts a series (count and sum 0).
  t.deepEqual(s?.metrics[1], { labels: [['a', '1']], quantiles: [], buckets: [] });
  // `early_count` came before `early` was declared a summary: a family of its own.
  t.is(m.get('early_count')?.type, 'untyped');
  t.false(m.has('early'));
});

test('timestamps are kept so that the caller can refuse them', (t) => {
  const [f] = parseTextFormat('m 1 1700000000000\nm{a="b"} 2 -5\n');
  t.deepEqual(f?.metrics.map((x) => x.timestampMs), [1700000000000, -5]);
});

test('malformed input is refused with the line number and expfmt\'s reason', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['m 1', /line 1: unexpected end of input stream/],
    ['ok 1\n# HELP m', /line 2: unexpected end of input stream/],
    ['m 1 \n', /line 1: expected integer as timestamp, got ""/],
    ['m 1 12 x\n', /spurious string after timestamp/],
    ['m 1.5.5\n', /expected float as value, got "1.5.5"/],
    ['m\n', /expected float as value, got ""/],
    ['m 0x10\n', /expected float as value/],
    ['m 1_000\n', /expected float as value/],
    ['m 1e400\n', /expected float as value/],
    ['m 1\r\n', /expected float as value/],
    ['m{a="1" 2\n', /unexpected end of label value "1"/],
    ['m{a=1} 2\n', /expected '"' at start of label value/],
    ['m{a} 2\n', /expected '=' after label name/],
    ['m{1a="x"} 2\n', /invalid label name for metric "m"/],
    ['m{a="x",a="y"} 2\n', /duplicate label names for metric "m"/],
    ['m{__name__="x"} 2\n', /label name "__name__" is reserved/],
    ['m{a="\\t"} 2\n', /invalid escape sequence '\\t'/],
    ['m{a="open} 2\n', /contains unescaped new-line/],
    ['1m 2\n', /invalid metric name/],
    ['# HELP m one\n# HELP m two\nm 1\n', /line 2: second HELP line for metric name "m"/],
    ['# HELP m bad \\t escape\n', /invalid escape sequence/],
    ['# TYPE m gauge\n# TYPE m counter\n', /second TYPE line/],
    ['m 1\n# TYPE m gauge\n', /line 2: second TYPE line for metric name "m", or TYPE reported after samples/],
    ['# TYPE m gauge \n', /unknown metric type "gauge "/],
    ['# TYPE m gauge_histogram\nm 1\n', /unknown metric type "gauge_histogram"/],
    ['# TYPE m info\n', /unknown metric type "info"/],
    ['# HELP m{x} help\n', /invalid metric name in comment/],
    ['# TYPE s summary\ns{quantile="high"} 1\n', /expected float as value for 'quantile' label, got "high"/],
    ['# TYPE h histogram\nh_bucket{le="x"} 1\n', /expected float as value for 'le' label/],
    ['# TYPE h histogram\nh_bucket{le="1"} -1\n', /negative bucket population/],
  ];
  for (const [input, message] of cases) {
    const err = t.throws(() => parseTextFormat(input), { instanceOf: TextParseError }, JSON.stringify(input));
    t.regex(err?.message ?? '', message, JSON.stringify(input));
  }
});

test('what expfmt tolerates is accepted too', (t) => {
  t.deepEqual(parseTextFormat(''), []);
  t.deepEqual(parseTextFormat('\n\n   \t'), []);
  t.deepEqual(parseTextFormat('#\n# HELP\n#TYPE\n# HELP m\n# TYPE m\n'), []);
  const [f] = parseTextFormat('# TYPE m Gauge\nm{} 1\n');
  t.is(f?.type, 'gauge');
  t.deepEqual(f?.metrics[0]?.labels, []);
});
