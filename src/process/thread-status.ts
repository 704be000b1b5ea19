import { ParseError } from '../lib/parse-error.js';

/**
 * The state letter of /proc/<pid>/task/<tid>/status's "State:\tS (sleeping)" line: the same
 * letter as field 3 of the thread's stat, so a thread needs one file rather than two.
 */
export function parseThreadState(text: string): string {
  const m = /^State:\s*([A-Za-z])\b/m.exec(text);
  if (!m) throw new ParseError('no "State:" line with a state letter');
  return m[1] as string;
}
