/** User regexes: Go's RE2 syntax and semantics, errors that say what is wrong, linear time. */
import test from 'ava';
import { RegexSyntaxError, UserRegex } from '../../../src/gocompat/user-regex.js';

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
