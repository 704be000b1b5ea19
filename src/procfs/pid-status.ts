import { fieldEnd, isSpace, skipSpaces, uintAt } from './pid-scan.js';
import { ParseError } from '../lib/parse-error.js';

/** The fields of /proc/<pid>/status (or a task's) that process groups use. */
export interface PidStatus {
  /** The effective uid (second column of "Uid:"), which process-exporter's {{.Username}} names. */
  readonly effectiveUid?: number;
  /** VmSwap in bytes; absent for kernel threads and zombies, whose memory is gone. */
  readonly swapBytes?: number;
  /** Absent before Linux 2.6.23. */
  readonly voluntaryCtxtSwitches?: number;
  readonly nonvoluntaryCtxtSwitches?: number;
}

/** A thread's status: the same fields, and its state letter (the one its stat has), so that a thread needs one file rather than two. */
export interface ThreadStatus extends PidStatus {
  /** From "State:\tS (sleeping)"; undefined when there is no such line. */
  readonly state?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The end of text[start, end) without its trailing whitespace. */
function trimmedEnd(text: string, start: number, end: number): number {
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return end;
}

/** "Uid:\treal\teffective\tsaved\tfs": the effective one. */
function effectiveUid(text: string, start: number, end: number): number {
  let count = 0;
  let effective = -1;
  for (let pos = skipSpaces(text, start, end); pos < end; pos = skipSpaces(text, fieldEnd(text, pos, end), end)) {
    if (++count === 2) effective = pos;
  }
  if (count !== 4) throw new ParseError(`Uid: expected 4 ids, got ${JSON.stringify(text.slice(start, end).trim())}`);
  return uintAt(text, effective, fieldEnd(text, effective, end), 'Uid');
}

/** "VmSwap:\t  1234 kB" → bytes. The kernel always prints these in kB. */
function kilobytes(text: string, start: number, end: number, key: string): number {
  const amount = skipSpaces(text, start, end);
  const amountEnd = fieldEnd(text, amount, end);
  const unit = skipSpaces(text, amountEnd, end);
  const unitEnd = fieldEnd(text, unit, end);
  if (amount === amountEnd || unitEnd - unit !== 2 || !text.startsWith('kB', unit) || skipSpaces(text, unitEnd, end) !== end) {
    throw new ParseError(`${key}: expected "<number> kB", got ${JSON.stringify(text.slice(start, end))}`);
  }
  return uintAt(text, amount, amountEnd, key) * 1024;
}

/** A value that is one unsigned integer, trimmed. */
function count(text: string, start: number, end: number, key: string): number {
  const from = skipSpaces(text, start, end);
  return uintAt(text, from, trimmedEnd(text, from, end), key);
}

const isLetter = (code: number) => (code | 0x20) >= 97 && (code | 0x20) <= 122;
const isWordChar = (code: number) => isLetter(code) || (code >= 48 && code <= 57) || code === 95;

/**
 * Reads "Key:\tvalue" lines in place (status is read for every process on every scrape); unknown
 * keys are ignored, a known key with a bad value throws.
 */
function scanStatus(text: string, withState: boolean): Mutable<ThreadStatus> {
  const status: Mutable<ThreadStatus> = {};
  let lines = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      const colon = text.indexOf(':', start);
      if (colon <= start || colon >= end) throw new ParseError(`expected "Key: value", got ${JSON.stringify(text.slice(start, end).slice(0, 60))}`);
      lines++;
      const value = colon + 1;
      switch (colon - start) {
        case 3:
          if (text.startsWith('Uid', start)) status.effectiveUid = effectiveUid(text, value, end);
          break;
        case 5:
          // The first State line whose value starts with a letter, as /^State:\s*([A-Za-z])\b/m finds it.
          if (withState && status.state === undefined && text.startsWith('State', start)) {
            const letter = skipSpaces(text, value, end);
            if (letter < end && isLetter(text.charCodeAt(letter)) && !(letter + 1 < end && isWordChar(text.charCodeAt(letter + 1)))) {
              status.state = text[letter] as string;
            }
          }
          break;
        case 6:
          if (text.startsWith('VmSwap', start)) status.swapBytes = kilobytes(text, value, end, 'VmSwap');
          break;
        case 23:
          if (text.startsWith('voluntary_ctxt_switches', start)) status.voluntaryCtxtSwitches = count(text, value, end, 'voluntary_ctxt_switches');
          break;
        case 26:
          if (text.startsWith('nonvoluntary_ctxt_switches', start)) status.nonvoluntaryCtxtSwitches = count(text, value, end, 'nonvoluntary_ctxt_switches');
          break;
      }
    }
    start = end + 1;
  }
  if (lines === 0) throw new ParseError('empty status file');
  return status;
}

/** Parses "Key:\tvalue" lines; unknown keys are ignored, a known key with a bad value throws. */
export function parsePidStatus(text: string): PidStatus {
  return scanStatus(text, false);
}

/** parsePidStatus, with the state letter. */
export function parseThreadStatus(text: string): ThreadStatus {
  return scanStatus(text, true);
}
