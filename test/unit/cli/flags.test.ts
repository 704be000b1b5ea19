import test from 'ava';
import { allFlags, collectorFlag, enabledCollectors, toConfig } from '../../../src/options.js';
import { DISABLE_EXPORTER_METRICS_FLAG, LISTEN_ADDRESS_FLAG, MAX_REQUESTS_FLAG } from '../../../src/cli/core-flags.js';
import type { CollectorFactory } from '../../../src/collector/collector.js';
import { defineFlag, FlagError, parseFlags, type FlagSpec } from '../../../src/cli/flags.js';
import { parseListenAddress } from '../../../src/cli/listen-address.js';
import { parseGoDuration } from '../../../src/gocompat/duration.js';

const noop = { update: async () => {} };
const GAMMA_FIELDS = defineFlag({ name: 'collector.gamma.fields', kind: 'regex', default: '^x', help: 'fields' });
const factories: CollectorFactory[] = [
  { name: 'alpha', defaultEnabled: true, create: () => noop },
  { name: 'beta', defaultEnabled: false, create: () => noop },
  {
    name: 'gamma',
    defaultEnabled: true,
    flags: [GAMMA_FIELDS],
    create: () => noop,
  },
];
const specs = allFlags(factories);

test('flags take --name=value and --name value, and booleans --x, --no-x and --x=false', (t) => {
  const f = parseFlags(specs, ['--web.listen-address', '127.0.0.1:1234', '--web.max-requests=7', '--no-collector.alpha', '--collector.beta', '--web.disable-exporter-metrics=false']);
  t.is(f.get(LISTEN_ADDRESS_FLAG), '127.0.0.1:1234');
  t.is(f.get(MAX_REQUESTS_FLAG), 7);
  t.false(f.get(collectorFlag(factories[0] as CollectorFactory)));
  t.true(f.get(collectorFlag(factories[1] as CollectorFactory)));
  t.false(f.get(DISABLE_EXPORTER_METRICS_FLAG));
  t.deepEqual(enabledCollectors(factories, f), ['beta', 'gamma']);
});

test('defaults are node_exporter\'s', (t) => {
  const c = toConfig(factories, parseFlags(specs, []));
  t.deepEqual(c.listen, { host: undefined, port: 9100 });
  t.is(c.telemetryPath, '/metrics');
  t.is(c.maxRequests, 40);
  t.is(c.procfs, '/proc');
  t.is(c.sysfs, '/sys');
  t.is(c.rootfs, '/');
  t.is(c.logLevel, 'info');
  t.is(c.logFormat, 'logfmt');
  t.false(c.disableExporterMetrics);
  t.deepEqual(c.enabledCollectors, ['alpha', 'gamma']);
});

test('--collector.disable-defaults keeps only collectors enabled explicitly', (t) => {
  const f = parseFlags(specs, ['--collector.disable-defaults', '--collector.gamma']);
  t.deepEqual(enabledCollectors(factories, f), ['gamma']);
  t.deepEqual(enabledCollectors(factories, parseFlags(specs, ['--collector.disable-defaults'])), []);
});

test('collector-owned flags are parsed with their kind', (t) => {
  const f = parseFlags(specs, ['--collector.gamma.fields=^(a|b)$']);
  t.true(f.get(GAMMA_FIELDS)?.test('a'));
  t.false(f.get(GAMMA_FIELDS)?.test('c'));
});

test('every bad flag is a FlagError naming the flag', (t) => {
  const bad: [string[], RegExp][] = [
    [['--nope'], /unknown long flag '--nope'/],
    [['--web.max-requests=abc'], /--web\.max-requests: expected an integer/],
    [['--web.max-requests=-1'], /--web\.max-requests: must be at least 0/],
    [['--collector.gamma.fields=('], /--collector\.gamma\.fields: invalid regular expression/],
    [['--log.level=loud'], /--log\.level: must be one of debug, info, warn, error/],
    [['--log.format=xml'], /--log\.format: must be one of logfmt, json/],
    [['--collector.alpha=maybe'], /--collector\.alpha: expected true or false/],
    [['--no-collector.alpha=1'], /--no-collector\.alpha takes no value/],
    [['--web.listen-address'], /expected a value for flag --web\.listen-address/],
    [['stray'], /unexpected argument "stray"/],
    [['--scrape.collector-timeout=5 seconds'], /--scrape\.collector-timeout: invalid duration/],
  ];
  for (const [argv, message] of bad) {
    const err = t.throws(() => parseFlags(specs, argv), { instanceOf: FlagError }, argv.join(' '));
    t.regex(err?.message ?? '', message);
  }
  t.throws(() => toConfig(factories, parseFlags(specs, ['--web.listen-address=nonsense'])), { instanceOf: FlagError, message: /--web\.listen-address: invalid listen address "nonsense"/ });
  t.throws(() => toConfig(factories, parseFlags(specs, ['--web.telemetry-path=metrics'])), { instanceOf: FlagError, message: /--web\.telemetry-path: must start with "\/"/ });
});

test('--help and --version are recognised without values', (t) => {
  t.true(parseFlags(specs, ['--help']).help);
  t.true(parseFlags(specs, ['-h']).help);
  t.true(parseFlags(specs, ['--version']).version);
});

test('an invalid default is reported against its flag', (t) => {
  const broken: FlagSpec[] = [{ name: 'x', kind: 'int', default: 'ten', help: '' }];
  t.throws(() => parseFlags(broken, []), { message: /default of --x/ });
});

test('Go durations parse to milliseconds', (t) => {
  t.is(parseGoDuration('5s'), 5000);
  t.is(parseGoDuration('1m30s'), 90_000);
  t.is(parseGoDuration('250ms'), 250);
  t.is(parseGoDuration('1.5h'), 5_400_000);
  t.is(parseGoDuration('0'), 0);
  t.throws(() => parseGoDuration('5'), { message: /invalid duration/ });
  t.throws(() => parseGoDuration('s'), { message: /invalid duration/ });
  t.throws(() => parseGoDuration(''), { message: /invalid duration/ });
});

test('regex flags take RE2 syntax and report syntax errors against the flag', (t) => {
  const r = defineFlag({ name: 'r', kind: 'regex', help: '' });
  const specs: FlagSpec[] = [r];
  t.is(parseFlags(specs, ['--r=(?P<x>a+)']).get(r)?.namedMatches('aa')?.get('x'), 'aa');
  // (?i) is RE2's (JavaScript's RegExp refuses it); \d is ASCII only, as in Go.
  t.true(parseFlags(specs, ['--r=(?i)^ETH']).get(r)?.test('eth0'));
  t.false(parseFlags(specs, ['--r=^\\d$']).get(r)?.test('\u0663'));
  t.throws(() => parseFlags(specs, ['--r=(a']), { instanceOf: FlagError, message: 'invalid value for flag --r: invalid regular expression "(a": missing closing ): `(a`' });
  t.throws(() => parseFlags(specs, ['--r=eth(?!0)']), { instanceOf: FlagError, message: /^invalid value for flag --r: invalid regular expression "eth\(\?!0\)": .*no lookahead, lookbehind or backreferences/ });
});

test('listen addresses follow Go\'s host:port forms', (t) => {
  t.deepEqual(parseListenAddress(':9100'), { host: undefined, port: 9100 });
  t.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  t.deepEqual(parseListenAddress('[::1]:9100'), { host: '::1', port: 9100 });
  t.deepEqual(parseListenAddress('localhost:80'), { host: 'localhost', port: 80 });
  t.throws(() => parseListenAddress('9100'));
  t.throws(() => parseListenAddress(':99999'), { message: /above 65535/ });
  t.throws(() => parseListenAddress('::1:9100'));
});

test('a declared flag reads back with its type; one the parser was not given is an error, not undefined', (t) => {
  const parsed = parseFlags(specs, ['--web.max-requests=3']);
  const requests: number = parsed.get(MAX_REQUESTS_FLAG);
  t.is(requests, 3);
  // @ts-expect-error an int flag is a number, never a string: the compiler refuses this line.
  const asText: string = parsed.get(MAX_REQUESTS_FLAG);
  t.is(typeof asText, 'number');
  const undeclared = defineFlag({ name: 'collector.gamma.feilds', kind: 'regex', help: 'a typo' });
  t.throws(() => parsed.get(undeclared), { message: 'flag --collector.gamma.feilds was not declared to the parser' });
  const optional = defineFlag({ name: 'o', kind: 'string', help: '' });
  const text: string | undefined = parseFlags([optional], []).get(optional);
  t.is(text, undefined);
  t.false(parseFlags([optional], []).isExplicit(optional));
  t.true(parseFlags([optional], ['--o=x']).isExplicit(optional));
});
