import test from 'ava';
import { FieldScanner, fields, intAt, parseInt10, parseUint, ReusedNames, textIs, uintAt } from '../../../src/procfs/parse.js';

/** The fields of every line as FieldScanner sees them. */
function scanAll(text: string): string[][] {
  const scan = new FieldScanner(text);
  const lines: string[][] = [];
  while (scan.nextLine()) {
    const line: string[] = [];
    while (scan.nextField()) line.push(scan.field());
    lines.push(line);
  }
  return lines;
}

test('FieldScanner sees the lines of split("\\n") and the fields of fields()', (t) => {
  for (const text of ['', '\n', 'a', 'a\n', ' a  b\t c \n\n  \nd\r\n', '\u00a0x\u2003y\ufeff', 'k:\t1 kB\nlast']) {
    t.deepEqual(scanAll(text), text.split('\n').map(fields), JSON.stringify(text));
  }
});

test('FieldScanner counts the fields left, compares a field and returns the line as printed', (t) => {
  const scan = new FieldScanner('  Tcp: 1  -2 3 \nnext');
  t.true(scan.nextLine());
  t.is(scan.remainingFields(), 4);
  t.true(scan.nextField());
  t.true(scan.fieldIs('Tcp:'));
  t.false(scan.fieldIs('Tcp'));
  t.is(scan.remainingFields(), 3);
  t.is(scan.line(), '  Tcp: 1  -2 3 ');
  scan.nextField();
  t.is(scan.uint('a'), 1);
  scan.nextField();
  t.is(scan.int('b'), -2);
  t.throws(() => scan.uint('b'), { message: 'b: expected an unsigned integer, got "-2"' });
});

test('uintAt and intAt give what parseUint and parseInt10 give, errors included', (t) => {
  const at = (s: string) => ({ text: `x ${s} y`, start: 2, end: 2 + s.length });
  for (const s of ['0', '7', '123456789012345', '1234567890123456', '18446744073709551615', '+5', '-0', '-12', '', '-', '1e3', '12a', '٣']) {
    const { text, start, end } = at(s);
    const same = (ours: () => number, theirs: () => number) => {
      let expected: number | Error;
      try {
        expected = theirs();
      } catch (err) {
        expected = err as Error;
      }
      if (expected instanceof Error) t.throws(ours, { message: expected.message }, s);
      else t.is(ours(), expected, s);
    };
    same(() => uintAt(text, start, end, 'f'), () => parseUint(s, 'f'));
    same(() => intAt(text, start, end, 'f'), () => parseInt10(s, 'f'));
  }
});

test('textIs compares a range of the text with a string', (t) => {
  t.true(textIs('a pgfault 3', 2, 9, 'pgfault'));
  t.false(textIs('a pgfault 3', 2, 9, 'pgfaul'));
  t.false(textIs('a pgfault 3', 2, 8, 'pgfault'));
});

test('ReusedNames: the previous read\'s strings while the text repeats them, its array when all do, a copy from the first change', (t) => {
  const take = (text: string, previous?: readonly string[]): readonly string[] => {
    const names = new ReusedNames(text, previous);
    for (const m of text.matchAll(/\S+/g)) names.take(m.index, m.index + m[0].length);
    return names.names();
  };
  const first = take('a bb ccc');
  t.deepEqual(first, ['a', 'bb', 'ccc']);
  t.is(take('a bb ccc', first), first, 'the same names: the same array');
  const fewer = take('a bb', first);
  t.deepEqual(fewer, ['a', 'bb']);
  const changed = take('a bX ccc dd', first);
  t.deepEqual(changed, ['a', 'bX', 'ccc', 'dd']);
  t.is(changed[0], first[0]);
  t.deepEqual(first, ['a', 'bb', 'ccc'], 'the previous array is not changed');
});
