import test from 'ava';
import { parseDateOnly, parseEnvFile, parseOsRelease } from '../../../src/procfs/os-release.js';

const env = (text: string): Record<string, string> => Object.fromEntries(parseEnvFile(text));

test('parseEnvFile skips blank and comment lines and trims keys and values', (t) => {
  t.deepEqual(env('# comment\n\n   \n  KEY = value  \n\t# indented comment\nOTHER=x\n'), { KEY: 'value', OTHER: 'x' });
  t.deepEqual(env('CRLF=yes\r\nLAST=no newline'), { CRLF: 'yes', LAST: 'no newline' });
  t.deepEqual(env(''), {});
});

test('parseEnvFile: double quotes take JSON escapes, single quotes and unquoted text are literal', (t) => {
  t.deepEqual(env('A="say \\"hi\\" \\\\ \\/ \\t \\n"'), { A: 'say "hi" \\ / \t \n' });
  t.deepEqual(env('B="\\b\\f\\r"'), { B: '\b\f\r' });
  t.deepEqual(env("C='no \\n escapes \"here\"'"), { C: 'no \\n escapes "here"' });
  t.deepEqual(env('D=back\\slash'), { D: 'back\\slash' });
  t.deepEqual(env('E="  kept  "'), { E: '  kept  ' });
  t.deepEqual(env(`F="double "'single'" again"`), { F: 'double single again' });
  t.deepEqual(env('G=""\nH=\'\'\nI='), { G: '', H: '', I: '' });
});

test('parseEnvFile decodes \\u escapes, including surrogate pairs, and keeps UTF-8 text', (t) => {
  t.deepEqual(env('A="caf\\u00e9"'), { A: 'café' });
  t.deepEqual(env('B="\\ud83d\\ude00"'), { B: '😀' });
  // A surrogate followed by something that does not complete a pair decodes to U+FFFD.
  t.deepEqual(env('C="\\ud83d\\u0041"'), { C: '\ufffd' });
  t.deepEqual(env('D="\\uDC00\\uD83D"'), { D: '\ufffd' });
  t.deepEqual(env('E=ünïcode "ß"'), { E: 'ünïcode ß' });
  t.deepEqual(env('F=caf\\u00e9'), { F: 'caf\\u00e9' });
});

test('parseEnvFile: # starts a comment outside quotes, dropping the whitespace before it', (t) => {
  t.deepEqual(env('A=value   # comment'), { A: 'value' });
  t.deepEqual(env('B=x#y'), { B: 'x' });
  t.deepEqual(env('C="kept # inside" # dropped'), { C: 'kept # inside' });
  t.deepEqual(env('D="quoted space "   # comment'), { D: 'quoted space ' });
  t.deepEqual(env('E=a b   c # d'), { E: 'a b   c' });
});

test('parseEnvFile: export prefix, key characters and repeated keys', (t) => {
  t.deepEqual(env('export NAME=x'), { NAME: 'x' });
  // "export" alone is a key, not a prefix.
  t.deepEqual(env('export=1'), { export: '1' });
  t.deepEqual(env('_A.b/C9=ok'), { '_A.b/C9': 'ok' });
  t.deepEqual(env('K=first\nK=second'), { K: 'second' });
  t.deepEqual(env('K==x='), { K: '=x=' });
});

test('parseEnvFile rejects malformed lines with the line number', (t) => {
  const rejects = (text: string, message: RegExp) => t.throws(() => parseEnvFile(text), { message }, text);
  rejects('A=1\nNO_EQUALS\n', /^line 2: missing =/);
  rejects('=value', /line 1: empty key/);
  rejects('1KEY=x', /line 1: invalid key "1KEY"/);
  rejects('K-EY=x', /invalid key "K-EY"/);
  rejects('export  TWO_SPACES=x', /invalid key " TWO_SPACES"/);
  rejects('A="unterminated', /line 1: unmatched "/);
  rejects("A='unterminated", /line 1: unmatched '/);
  rejects('A="bad \\q"', /invalid escape sequence: "q"/);
  rejects('A="ends with \\', /incomplete escape sequence/);
  rejects('A="\\u12"', /incomplete hex sequence/);
  rejects('A="\\u00zz"', /invalid hex sequence "00zz"/);
  rejects('A="\\ud83d alone"', /incomplete Unicode surrogate pair/);
  rejects('A=tab\tinside', /"\\t" is an invalid value character/);
  rejects('A=a\\"b', /unmatched "/);
});

test('parseOsRelease maps the fields node_exporter exports; missing ones are empty', (t) => {
  const r = parseOsRelease('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n');
  t.is(r.name, 'Ubuntu');
  t.is(r.id, 'ubuntu');
  t.is(r.idLike, 'debian');
  t.is(r.versionId, '22.04');
  t.is(r.versionCodename, 'jammy');
  t.is(r.prettyName, '');
  t.is(r.buildId, '');
  t.is(r.imageId, '');
  t.is(r.imageVersion, '');
  t.is(r.variant, '');
  t.is(r.variantId, '');
  t.is(r.version, '');
  t.is(r.versionNumber, 22.04);
  t.is(r.supportEnd, undefined);
});

test('parseOsRelease takes major.minor from VERSION_ID, 0 when it does not start with a digit', (t) => {
  const version = (id: string) => parseOsRelease(`VERSION_ID=${id}`).versionNumber;
  t.is(version('12'), 12);
  t.is(version('3.18.4'), 3.18);
  t.is(version('12.'), 12);
  t.is(version('8.10-beta'), 8.1);
  t.is(version('007'), 7);
  t.is(version('rolling'), 0);
  t.is(version('v1.2'), 0);
  t.is(parseOsRelease('').versionNumber, 0);
});

test('parseOsRelease reads SUPPORT_END as midnight UTC and rejects bad dates', (t) => {
  t.is(parseOsRelease('SUPPORT_END=2024-11-12').supportEnd, 1731369600);
  t.is(parseOsRelease('SUPPORT_END=2024-02-29').supportEnd, 1709164800);
  t.throws(() => parseOsRelease('SUPPORT_END=2023-02-29'), { message: /not a calendar date/ });
  t.throws(() => parseOsRelease('SUPPORT_END=2024-13-01'), { message: /not a calendar date/ });
  t.throws(() => parseOsRelease('SUPPORT_END=2024-1-01'), { message: /expected YYYY-MM-DD, got "2024-1-01"/ });
  t.throws(() => parseOsRelease('SUPPORT_END=2024-01-01T00:00'), { message: /expected YYYY-MM-DD/ });
});

test('parseDateOnly handles years before 100 without Date.UTC’s 1900 shift', (t) => {
  t.is(parseDateOnly('0050-01-01', 'x'), Date.parse('0050-01-01T00:00:00Z') / 1000);
  t.is(parseDateOnly('1970-01-01', 'x'), 0);
});
