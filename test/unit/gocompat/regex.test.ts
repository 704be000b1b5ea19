/** User regexes: Go's RE2 syntax and semantics, errors that say what is wrong, linear time. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { RE2JS } from 're2js';
import { collectorFactories } from '../../../src/collectors.js';
import { RegexSyntaxError, UserRegex } from '../../../src/gocompat/user-regex.js';
import { allFlags } from '../../../src/options.js';

const re = (source: string): UserRegex => UserRegex.compile(source);

/** Milliseconds `fn` takes. */
function timed(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

test('RE2 syntax and Go semantics: what JavaScript lacks or reads differently', (t) => {
  // [pattern, text, whether it matches]
  const cases: [string, string, boolean][] = [
    ['(?i)^NGINX', 'nginx: master', true],
    ['^\\pL+$', '\u00E9norme', true],
    ['^[[:alpha:]]+$', 'eth', true],
    ['a\\z', 'a', true],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    // \d and \w are ASCII, . stops at newlines unless (?s), $ is the end of the text only.
    ['^\\d$', '\u0663', false],
    ['^\\w$', '\u00E9', false],
    ['a.b', 'a\nb', false],
    ['(?s)a.b', 'a\nb', true],
    ['a$', 'a\n', false],
  ];
  for (const [pattern, text, matches] of cases) t.is(re(pattern).test(text), matches, `${pattern} on ${JSON.stringify(text)}`);
  t.deepEqual(re('--port=(?P<port>\\d+)|(?<host>h)').groupNames, ['port', 'host']);
});

test('test() matches anywhere, testWhole() only the whole text', (t) => {
  t.true(re('eth').test('veth0'));
  t.false(re('eth').testWhole('veth0'));
  t.true(re('v?eth\\d|lo').testWhole('veth0'));
  t.false(re('a|ab').testWhole('abc'));
  t.true(re('a|ab').testWhole('ab'), 'whole-text matching tries every alternative, as ^(?:a|ab)$ does');
});

test('named captures: leftmost match, "" for a group that took no part, undefined without a match', (t) => {
  const service = re('--service=(?P<svc>\\w+)(?: --zone=(?P<zone>\\w+))?');
  t.deepEqual(Object.fromEntries(service.namedMatches('app --service=billing --service=other') ?? []), { svc: 'billing', zone: '' });
  t.deepEqual(Object.fromEntries(service.namedMatches('--service=a --zone=eu') ?? []), { svc: 'a', zone: 'eu' });
  t.is(service.namedMatches('nothing here'), undefined);
  t.deepEqual(re('plain').namedMatches('a plain one'), new Map());
});

test('what RE2 refuses is an error naming the pattern and, for Perl extensions, what RE2 lacks', (t) => {
  t.throws(() => re('(a'), { instanceOf: RegexSyntaxError, message: 'invalid regular expression "(a": missing closing ): `(a`' });
  t.throws(() => re('a{1001}'), { message: /invalid repeat count/ });
  t.throws(() => re('(?P<x>a)(?P<x>b)'), { message: /duplicate capture group name/ });
  for (const perl of ['a(?=b)', 'a(?!b)', '(?<=a)b', '(?<!a)b', '(a)\\1']) {
    t.throws(() => re(perl), { message: /^invalid regular expression .*; RE2 syntax \(https:\/\/github\.com\/google\/re2\/wiki\/Syntax\) has no lookahead, lookbehind or backreferences$/ }, perl);
  }
  t.throws(() => re('a{2,1}'), { message: (m: string) => !m.includes('lookahead') }, 'the RE2 hint only where it applies');
});

test('the source and JSON are the pattern as written', (t) => {
  const r = re('(?P<x>a+)');
  t.is(r.source, '(?P<x>a+)');
  t.is(String(r), '(?P<x>a+)');
  t.is(JSON.stringify({ r }), '{"r":"(?P<x>a+)"}');
});

// RegExp takes tens of seconds on each of these (68 s for the first, 22 s and more for the second).
test('catastrophic patterns run in linear time', (t) => {
  const exponential = re('(a+)+$');
  const input = 'a'.repeat(32) + '!';
  t.true(timed(() => t.false(exponential.test(input))) < 1000);
  t.true(timed(() => t.false(exponential.testWhole(input))) < 1000);
  t.true(timed(() => t.is(exponential.namedMatches(input), undefined)) < 1000);

  const quadratic = re('node .*server\\.js');
  const commandLine = Array.from({ length: 60_000 }, () => 'node').join(' ');
  t.true(commandLine.length > 290_000);
  t.true(timed(() => t.false(quadratic.test(commandLine))) < 1000);
  const captures = re('^(?P<bin>\\S+) .*server\\.js');
  t.true(timed(() => t.is(captures.namedMatches(commandLine), undefined)) < 1000);
  t.true(timed(() => t.is(captures.namedMatches(`${commandLine} server.js`)?.get('bin'), 'node')) < 2000);
});

/** The strings our built-in patterns meet on this machine: mount points, fs types, devices, netstat and vmstat fields. */
function kernelNames(): string[] {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  const names = new Set<string>();
  for (const line of read('/proc/self/mountinfo').split('\n')) {
    const f = line.split(' ');
    if (f[4]) names.add(f[4]);
    const dash = f.indexOf('-');
    if (dash > 0 && f[dash + 1]) names.add(f[dash + 1] as string);
  }
  for (const line of read('/proc/filesystems').split('\n')) names.add(line.split('\t').pop() ?? '');
  for (const line of read('/proc/diskstats').split('\n')) names.add(line.trim().split(/\s+/)[2] ?? '');
  for (const file of ['/proc/net/netstat', '/proc/net/snmp']) {
    const lines = read(file).split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const [table, ...keys] = (lines[i] as string).split(' ');
      for (const k of keys) names.add(`${table?.replace(':', '')}_${k}`);
    }
  }
  for (const line of read('/proc/net/snmp6').split('\n')) {
    const m = /^(Ip6|Icmp6|Udp6|UdpLite6)(\S+)/.exec(line);
    if (m) names.add(`${m[1]}_${m[2]}`);
  }
  for (const line of read('/proc/vmstat').split('\n')) names.add(line.split(' ')[0] ?? '');
  for (const name of readdirSync('/sys/class/net')) names.add(name);
  return [...names];
}

test('the patterns we ship (flag defaults, the default process rule) run on RegExp and match as RE2 does', (t) => {
  const specs = allFlags(collectorFactories).filter((s) => s.kind === 'regex' && s.default !== undefined);
  t.true(specs.length >= 7, specs.map((s) => s.name).join(', '));
  const patterns = [...specs.map((s) => s.default as string), '.+'];
  const real = kernelNames();
  t.true(real.length > 100, `${real.length} names from this machine`);
  const crafted = [
    '', '\n', '\r', 'a\nb', '\u2028', '/dev', '/dev/', '/devices', '/run/credentials/', '/run/credentials/x', '/var/lib/docker',
    '/var/lib/docker/overlay2/x/merged', '/var/lib/containers/storage/o', '/sys\n', 'loop0', 'loop', 'sda', 'sda1', 'xvda12', 'nvme0n1',
    'nvme0n1p2', 'zram0', 'ram1', 'fd0', 'cgroup', 'cgroup2', 'cgroup3', 'overlay', 'Tcp_InErrs', 'TcpExt_ListenDrops', 'TcpExt_Listen',
    'x_InErrors', '_InErrors', 'Ip6_InOctets', 'IpExt_OutOctets', 'Icmp_InMsgs', 'Udp6_NoPorts', 'pgfault', 'pgmajfault', 'pg\nfault',
    'oom_kill', 'pgpgin', 'pswpout', 'kworker/0:1-events', 'node\nserver.js',
  ];
  const inputs = [...real, ...crafted].flatMap((s) => [s, `${s}\n`, `x${s}`, `${s}\r`]);
  for (const pattern of patterns) {
    const ours = UserRegex.builtIn(pattern);
    const re2 = RE2JS.compile(pattern);
    for (const input of inputs) {
      t.is(ours.test(input), re2.test(input), `${pattern} test ${JSON.stringify(input)}`);
      t.is(ours.testWhole(input), re2.testExact(input), `${pattern} testWhole ${JSON.stringify(input)}`);
    }
    t.true(inputs.some((input) => ours.test(input)) || pattern === '^$', `${pattern} matches something`);
  }
});

test('a built-in pattern outside the syntax both engines share is refused', (t) => {
  for (const pattern of ['(?i)a', 'a\\s', '[[:alpha:]]', 'a{2}', '(?P<x>a)', 'a\\.b', '[a\\]]'])
    t.throws(() => UserRegex.builtIn(pattern), { instanceOf: RegexSyntaxError }, pattern);
});

test('with its defaults, the exporter does not load re2js', (t) => {
  const script = `
    import { createRequire } from 'node:module';
    const { collectorFactories } = await import(${JSON.stringify(new URL('../../../src/collectors.js', import.meta.url).href)});
    const { allFlags } = await import(${JSON.stringify(new URL('../../../src/options.js', import.meta.url).href)});
    const { parseFlags } = await import(${JSON.stringify(new URL('../../../src/cli/flags.js', import.meta.url).href)});
    const { DEFAULT_RULES } = await import(${JSON.stringify(new URL('../../../src/process/match.js', import.meta.url).href)});
    const flags = parseFlags(allFlags(collectorFactories), []);
    DEFAULT_RULES[0].cmdline[0].test('node server.js');
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('re2js'));
    const before = loaded();
    parseFlags(allFlags(collectorFactories), ['--collector.netclass.ignored-devices=^veth']);
    process.stdout.write(JSON.stringify({ before, after: loaded() }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  t.deepEqual(JSON.parse(out), { before: false, after: true }, 'loaded only for a pattern the user gives');
});
