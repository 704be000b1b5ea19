/**
 * The state letter of /proc/<pid>/task/<tid>/status's "State:\tS (sleeping)" line: the same
 * letter as field 3 of the thread's stat, so a thread needs one file rather than two;
 * undefined when there is no such line (then stat says it).
 */
export function parseThreadState(text: string): string | undefined {
  const m = /^State:\s*([A-Za-z])\b/m.exec(text);
  return m?.[1];
}
