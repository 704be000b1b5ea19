import test from 'ava';
import { formatGoFloat } from '../../../src/gocompat/go-float.js';
import { desc, sanitizeMetricName, type MetricFamily } from '../../../src/exposition/model.js';
import { negotiateFormat, writeOpenMetrics, writeText } from '../../../src/exposition/text.js';

test('formatGoFloat matches strconv.FormatFloat(v, g, -1, 64) and expfmt special cases', (t) => {
  const cases: [number, string][] = [
    [0, '0'], [-0, '0'], [1, '1'], [-1, '-1'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
    [26442, '26442'], [1e6, '1e+06'], [3831959552, '3.831959552e+09'], [0.21, '0.21'],
    [14.036781000000001, '14.036781000000001'], [100000, '100000'], [123456, '123456'], [1234567, '1.234567e+06'],
    [0.0001, '0.0001'], [0.00001, '1e-05'], [1.5e-7, '1.5e-07'], [-2.5, '-2.5'], [-3e21, '-3e+21'],
    [1.7976931348623157e308, '1.7976931348623157e+308'], [5e-324, '5e-324'], [2 ** 53, '9.007199254740992e+15'],
    [18446744073709551615, '1.8446744073709552e+19'], [12.5, '12.5'], [999999, '999999'], [10, '10'],
  ];
  for (const [v, want] of cases) t.is(formatGoFloat(v), want, `formatting ${v}`);
});

test('sanitizeMetricName collapses invalid runs and their underscores like node_exporter', (t) => {
  t.is(sanitizeMetricName('Active(anon)'), 'Active_anon_');
  t.is(sanitizeMetricName('a-b'), 'a_b');
  t.is(sanitizeMetricName('a__.__b'), 'a_b');
});

test('desc rejects invalid metric and label names', (t) => {
  t.throws(() => desc('1abc', 'h', 'gauge'), { message: /invalid metric name/ });
  t.throws(() => desc('ok', 'h', 'gauge', ['bad-label']), { message: /invalid label name/ });
  t.throws(() => desc('ok', 'h', 'gauge', ['__reserved']), { message: /invalid label name/ });
});

const cpu = desc('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', 'counter', ['mode', 'cpu']);
const load = desc('node_load1', '1m load average.', 'gauge');
const weird = desc('x_info', 'Help with \\ backslash\nand newline "quoted".', 'gauge', ['v']);

function families(): MetricFamily[] {
  return [
    { desc: load, samples: [{ suffix: '', labels: {}, value: 0.5 }] },
    {
      desc: cpu,
      samples: [
        { suffix: '', labels: { cpu: '2', mode: 'user' }, value: 3 },
        { suffix: '', labels: { cpu: '10', mode: 'user' }, value: 1e6 },
        { suffix: '', labels: { cpu: '10', mode: 'idle' }, value: 0 },
      ],
    },
    { desc: weird, samples: [{ suffix: '', labels: { v: 'a"b\\c\nd' }, value: 1 }] },
    { desc: desc('empty_family', 'no samples', 'gauge'), samples: [] },
  ];
}

test('writeText sorts families by name and series by label values in label-name order', (t) => {
  t.is(
    writeText(families()),
    [
      '# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.',
      '# TYPE node_cpu_seconds_total counter',
      // cpu sorts before mode, and "10" < "2" as strings, as client_golang does.
      'node_cpu_seconds_total{cpu="10",mode="idle"} 0',
      'node_cpu_seconds_total{cpu="10",mode="user"} 1e+06',
      'node_cpu_seconds_total{cpu="2",mode="user"} 3',
      '# HELP node_load1 1m load average.',
      '# TYPE node_load1 gauge',
      'node_load1 0.5',
      '# HELP x_info Help with \\\\ backslash\\nand newline "quoted".',
      '# TYPE x_info gauge',
      'x_info{v="a\\"b\\\\c\\nd"} 1',
      '',
    ].join('\n'),
  );
});

test('writeOpenMetrics drops _total from counter family names, types untyped as unknown, ends with # EOF', (t) => {
  const text = writeOpenMetrics([
    ...families(),
    { desc: desc('node_vmstat_pgfault', 'vm', 'untyped'), samples: [{ suffix: '', labels: {}, value: 7 }] },
  ]);
  t.regex(text, /^# HELP node_cpu_seconds Seconds the CPUs spent in each mode\.\n# TYPE node_cpu_seconds counter\nnode_cpu_seconds_total\{cpu="10",mode="idle"\} 0\.0\n/);
  t.regex(text, /\nnode_cpu_seconds_total\{cpu="2",mode="user"\} 3\.0\n/);
  t.regex(text, /\n# TYPE node_vmstat_pgfault unknown\nnode_vmstat_pgfault 7\.0\n/);
  t.regex(text, /# HELP x_info Help with \\\\ backslash\\nand newline \\"quoted\\"\./);
  t.true(text.endsWith('# EOF\n'));
});

test('negotiateFormat picks OpenMetrics only when asked for a supported version', (t) => {
  t.is(negotiateFormat(undefined), 'text');
  t.is(negotiateFormat('text/plain;version=0.0.4'), 'text');
  t.is(negotiateFormat('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'), 'openmetrics');
  t.is(negotiateFormat('application/openmetrics-text; version=0.0.1; q=0.75, */*;q=0.1'), 'openmetrics');
  t.is(negotiateFormat('application/openmetrics-text;version=9.9.9'), 'text');
  t.is(negotiateFormat('application/openmetrics-text;q=0'), 'text');
  t.is(negotiateFormat('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'), 'text');
});

test('series with fewer labels sort first, then by their own sorted label values', (t) => {
  const info = desc('x_info', 'Info.', 'gauge');
  const text = writeText([
    {
      desc: info,
      samples: [
        { suffix: '', labels: { type: 'Battery', model: 'b' }, value: 1 },
        { suffix: '', labels: { type: 'Mains' }, value: 1 },
        { suffix: '', labels: { type: 'Battery', capacity: 'a' }, value: 1 },
      ],
    },
  ]);
  t.deepEqual(text.split('\n').filter((l) => l.startsWith('x_info{')), [
    'x_info{type="Mains"} 1',
    'x_info{capacity="a",type="Battery"} 1',
    'x_info{model="b",type="Battery"} 1',
  ]);
});

test('le and quantile come after the family\'s own labels, as expfmt writes them', (t) => {
  const h = desc('req_seconds', 'Latency.', 'histogram', ['path']);
  const s = desc('q_seconds', 'Quantiles.', 'summary', ['path']);
  const text = writeText([
    {
      desc: h,
      samples: [
        { suffix: '_bucket', labels: { path: '/', le: '0.1' }, value: 1 },
        { suffix: '_bucket', labels: { path: '/', le: '+Inf' }, value: 2 },
        { suffix: '_sum', labels: { path: '/' }, value: 0.5 },
        { suffix: '_count', labels: { path: '/' }, value: 2 },
      ],
    },
    { desc: s, samples: [{ suffix: '', labels: { path: '/', quantile: '0.5' }, value: 0.2 }] },
  ]);
  t.regex(text, /\nreq_seconds_bucket\{path="\/",le="0\.1"\} 1\nreq_seconds_bucket\{path="\/",le="\+Inf"\} 2\nreq_seconds_sum\{path="\/"\} 0\.5\nreq_seconds_count\{path="\/"\} 2\n/);
  t.regex(text, /\nq_seconds\{path="\/",quantile="0\.5"\} 0\.2\n/);
});

test('the byte writer keeps non-ASCII text and escapes in UTF-8, grows past its first buffer, and writes OpenMetrics floats', async (t) => {
  const { encodeFormat } = await import('../../../src/exposition/text.js');
  const d = desc('x_info', 'Hélp "q" \\ é\nnext', 'gauge', ['v']);
  const values = ['plain', 'é"\\\nü', '日本 "x"', 'a'.repeat(300)];
  const fams: MetricFamily[] = [{ desc: d, samples: values.map((v, i) => ({ suffix: '', labels: { v }, value: [1.5, -2, 1e21, 0.000123][i] as number })) }];
  const want = [
    '# HELP x_info Hélp "q" \\\\ é\\nnext',
    '# TYPE x_info gauge',
    `x_info{v="${'a'.repeat(300)}"} 0.000123`,
    'x_info{v="plain"} 1.5',
    'x_info{v="é\\"\\\\\\nü"} -2',
    'x_info{v="日本 \\"x\\""} 1e+21',
    '',
  ].join('\n');
  t.is(encodeFormat('text', fams, 1).toString('utf8'), want);
  t.deepEqual(encodeFormat('text', fams, 1), Buffer.from(want));
  const om = encodeFormat('openmetrics', fams, 1).toString('utf8');
  t.regex(om, /^x_info\{v="plain"\} 1\.5$/m);
  t.regex(om, /^x_info\{v="é\\"\\\\\\nü"\} -2\.0$/m);
  t.regex(om, /^x_info\{v="日本 \\"x\\""\} 1e\+21$/m);
  t.regex(om, /^# HELP x_info Hélp \\"q\\" \\\\ é\\nnext$/m);
});
