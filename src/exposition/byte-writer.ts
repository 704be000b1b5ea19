/**
 * A growing UTF-8 output buffer for the exposition writers. A scrape's body is written straight
 * into it: ASCII is copied code unit by code unit, so writing a sample builds no strings, and
 * the buffer lives outside the JavaScript heap, where it does not count towards young-generation
 * garbage collections.
 */
import { appendShortestG, type FloatOut } from '../gocompat/go-float.js';

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
const ZERO = 0x30;

export class ByteWriter implements FloatOut {
  private buf: Buffer;
  private len = 0;

  constructor(capacity = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(64, capacity));
  }

  get length(): number {
    return this.len;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Appends s as UTF-8. */
  text(s: string): void {
    this.ascii(s, 0, s.length);
  }

  /** Appends s[start, end) as UTF-8 (FloatOut's entry point; any text works). */
  ascii(s: string, start: number, end: number): void {
    this.reserve(end - start);
    const buf = this.buf;
    let o = this.len;
    for (let i = start; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.len = o;
        this.utf8(s.slice(i, end));
        return;
      }
      buf[o++] = c;
    }
    this.len = o;
  }

  zeros(n: number): void {
    this.reserve(n);
    this.buf.fill(ZERO, this.len, this.len + n);
    this.len += n;
  }

  byte(c: number): void {
    this.reserve(1);
    this.buf[this.len++] = c;
  }

  /**
   * Appends s with `\` and newline escaped, and `"` too when `quotes` is set: the escaping of
   * label values (always quotes) and of HELP text (quotes only in OpenMetrics).
   */
  escaped(s: string, quotes: boolean): void {
    const n = s.length;
    this.reserve(n);
    let o = this.len;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.len = o;
        this.utf8(escapeSlow(s.slice(i), quotes));
        return;
      }
      if (c === BACKSLASH || c === NEWLINE || (quotes && c === QUOTE)) {
        this.len = o;
        this.reserve(n - i + 1);
        o = this.len;
        this.buf[o++] = BACKSLASH;
        this.buf[o++] = c === NEWLINE ? 0x6e /* n */ : c;
      } else {
        this.buf[o++] = c;
      }
    }
    this.len = o;
  }

  /** A non-negative safe integer, digit by digit. */
  integer(v: number): void {
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    this.reserve(digits);
    let o = this.len + digits;
    this.len = o;
    do {
      this.buf[--o] = ZERO + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
  }

  /** strconv.FormatFloat(v, 'g', -1, 64) for finite, non-zero v. */
  shortestG(v: number): void {
    appendShortestG(v, this);
  }

  /** Non-ASCII text: through Buffer's encoder (UTF-16 code units take at most 3 bytes each). */
  private utf8(s: string): void {
    this.reserve(s.length * 3);
    this.len += this.buf.write(s, this.len, 'utf8');
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }
}

function escapeSlow(s: string, quotes: boolean): string {
  const out = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return quotes ? out.replace(/"/g, '\\"') : out;
}
