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
