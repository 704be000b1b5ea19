/** Strict number parsing for /proc and /sys text: `Number('')` is 0, which would hide a broken file. */
import { ParseError } from '../lib/parse-error.js';

const UINT = /^\d+$/;
const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parseUint(text: string | undefined, what: string): number {
  if (text === undefined || !UINT.test(text)) throw new ParseError(`${what}: expected an unsigned integer, got ${quote(text)}`);
  return Number(text);
}

export function parseInt10(text: string | undefined, what: string): number {
  if (text === undefined || !INT.test(text)) throw new ParseError(`${what}: expected an integer, got ${quote(text)}`);
  return Number(text);
}

export function parseFloatStrict(text: string | undefined, what: string): number {
  if (text === undefined || !FLOAT.test(text)) throw new ParseError(`${what}: expected a number, got ${quote(text)}`);
  return Number(text);
}

function quote(text: string | undefined): string {
  if (text === undefined) return 'nothing';
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text);
}

/** Splits on runs of whitespace, dropping empty fields at either end. */
export function fields(line: string): string[] {
  const t = line.trim();
  return t === '' ? [] : t.split(/\s+/);
}

/** What `\s` matches (and `trim()` drops): ASCII whitespace plus the Unicode space characters. */
export function isSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 0xa0) return false;
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/** Whether text[start, end) is `s`, without slicing it out. */
export function textIs(text: string, start: number, end: number, s: string): boolean {
  return end - start === s.length && text.startsWith(s, start);
}

/**
 * The names of a file the kernel prints with the same names in the same order on every read
 * (/proc/vmstat, /proc/meminfo, /proc/net/snmp6), taken one by one from the text: a name equal
 * to the previous read's at the same place is that string, not a new slice, and when all are,
 * names() is the previous array itself. A caller reading the file every scrape then allocates
 * little beyond the values.
 */
export class ReusedNames {
  private taken = 0;
  /** The names so far, once one differed from the previous read's (copied then). */
  private changed: string[] | undefined;

  constructor(
    private readonly text: string,
    private readonly previous: readonly string[] = [],
  ) {}

  /** text[start, end) as the next name. */
  take(start: number, end: number): string {
    const i = this.taken++;
    const known = this.previous[i];
    if (this.changed === undefined && known !== undefined && textIs(this.text, start, end, known)) return known;
    this.changed ??= this.previous.slice(0, i);
    const name = this.text.slice(start, end);
    this.changed.push(name);
    return name;
  }

  names(): readonly string[] {
    if (this.changed) return this.changed;
    return this.taken === this.previous.length ? this.previous : this.previous.slice(0, this.taken);
  }
}

/**
 * Walks a file's text line by line and, within a line, field by field (runs of whitespace
 * separate fields, as in fields()), by index: a parser reads the fields it needs without the
 * per-line arrays and strings that split() would allocate on every scrape. Lines are those of
 * `text.split('\n')`, the empty one after a final newline included.
 */
export class FieldScanner {
  /** The current line is text[lineStart, lineEnd). */
  lineStart = 0;
  lineEnd = 0;
  /** The current field is text[start, end). */
  start = 0;
  end = 0;
  private nextLineStart = 0;
  private pos = 0;

  constructor(readonly text: string) {}

  /** Moves to the next line (its first field is read with nextField); false after the last one. */
  nextLine(): boolean {
    if (this.nextLineStart > this.text.length) return false;
    const nl = this.text.indexOf('\n', this.nextLineStart);
    this.lineStart = this.nextLineStart;
    this.lineEnd = nl === -1 ? this.text.length : nl;
    this.nextLineStart = this.lineEnd + 1;
    this.pos = this.lineStart;
    return true;
  }

  /** Moves to the line's next field; false when the line has no more. */
  nextField(): boolean {
    const { text, lineEnd } = this;
    let i = this.pos;
    while (i < lineEnd && isSpace(text.charCodeAt(i))) i++;
    if (i >= lineEnd) {
      this.pos = lineEnd;
      return false;
    }
    this.start = i;
    while (i < lineEnd && !isSpace(text.charCodeAt(i))) i++;
    this.end = i;
    this.pos = i;
    return true;
  }

  /** How many fields the line has after the current one (the rest of the line if none was read yet). */
  remainingFields(): number {
    const { text, lineEnd } = this;
    let count = 0;
    let inField = false;
    for (let i = this.pos; i < lineEnd; i++) {
      const space = isSpace(text.charCodeAt(i));
      if (!space && !inField) count++;
      inField = !space;
    }
    return count;
  }

  field(): string {
    return this.text.slice(this.start, this.end);
  }

  /** The current line as printed, for error messages. */
  line(): string {
    return this.text.slice(this.lineStart, this.lineEnd);
  }

  fieldIs(s: string): boolean {
    return textIs(this.text, this.start, this.end, s);
  }

  /** parseUint of the current field. */
  uint(what: string): number {
    return uintAt(this.text, this.start, this.end, what);
  }

  /** parseInt10 of the current field. */
  int(what: string): number {
    return intAt(this.text, this.start, this.end, what);
  }
}

/** Up to 15 decimal digits are exact in a double; longer numbers are left to Number(). */
const EXACT_DIGITS = 15;

/**
 * The value of text[from, end) when it is 1 to EXACT_DIGITS decimal digits, else NaN (for the
 * caller to hand the slice to parseUint or parseFloatStrict, which read longer numbers and word
 * the error).
 */
export function plainDigits(text: string, from: number, end: number): number {
  if (end <= from || end - from > EXACT_DIGITS) return NaN;
  let value = 0;
  for (let i = from; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** parseUint(text.slice(start, end)) without the slice when the digits are plain. */
export function uintAt(text: string, start: number, end: number, what: string): number {
  const value = plainDigits(text, start, end);
  return Number.isNaN(value) ? parseUint(text.slice(start, end), what) : value;
}

/** parseInt10(text.slice(start, end)) without the slice when the digits are plain. */
export function intAt(text: string, start: number, end: number, what: string): number {
  const value = plainIntAt(text, start, end);
  return Number.isNaN(value) ? parseInt10(text.slice(start, end), what) : value;
}

/**
 * text[start, end) as an integer when it is one with at most EXACT_DIGITS digits, else NaN (for
 * the caller to hand the slice to parseInt10, which reads longer numbers and words the error).
 */
export function plainIntAt(text: string, start: number, end: number): number {
  const sign = end > start ? text.charCodeAt(start) : 0;
  const signed = sign === 45 || sign === 43; // '-', '+'
  const value = plainDigits(text, signed ? start + 1 : start, end);
  return sign === 45 ? -value : value;
}
