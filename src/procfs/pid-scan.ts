/**
 * Index-based reading of the files read for every process (or cgroup) on every scrape
 * (/proc/<pid>/stat, status, io; cgroup stat files): fields are found and numbers read in place,
 * and a field's text is sliced only for an error message. The numbers and the errors are those of parse.ts's parseUint and parseInt10.
 */
import { parseInt10, parseUint } from './parse.js';

/** Whitespace as fields() splits on it, for the characters a /proc file has. */
export function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** The first index at or after `from` (before `end`) that is not whitespace, or `end`. */
export function skipSpaces(text: string, from: number, end: number): number {
  while (from < end && isSpace(text.charCodeAt(from))) from++;
  return from;
}

/** The end of the field starting at `from`: the next whitespace, or `end`. */
export function fieldEnd(text: string, from: number, end: number): number {
  while (from < end && !isSpace(text.charCodeAt(from))) from++;
  return from;
}

/** Digits read one by one are exact up to 15 of them (below 2^53); longer runs go through Number(). */
const MAX_EXACT_DIGITS = 15;

/** The digits of text[start, end) as a number, or -1 when the range is empty, too long or not all digits. */
function digits(text: string, start: number, end: number): number {
  if (end <= start || end - start > MAX_EXACT_DIGITS) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** parseUint(text.slice(start, end), what). */
export function uintAt(text: string, start: number, end: number, what: string): number {
  const n = digits(text, start, end);
  return n >= 0 ? n : parseUint(text.slice(start, end), what);
}

/** parseInt10(text.slice(start, end), what). */
export function intAt(text: string, start: number, end: number, what: string): number {
  const sign = text.charCodeAt(start);
  if (sign === 45 || sign === 43) {
    const n = digits(text, start + 1, end);
    if (n >= 0) return sign === 45 ? -n : n;
  } else {
    const n = digits(text, start, end);
    if (n >= 0) return n;
  }
  return parseInt10(text.slice(start, end), what);
}
