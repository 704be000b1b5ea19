import { parseUint } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** A soft and hard limit; "unlimited" is Infinity. */
export interface ResourceLimit {
  readonly soft: number;
  readonly hard: number;
}

const LIMIT_LINE = /^(Max [A-Za-z ]*?)\s+(unlimited|\d+)\s+(unlimited|\d+)(?:\s+\S+)?\s*$/;

function limitValue(text: string, what: string): number {
  return text === 'unlimited' ? Infinity : parseUint(text, what);
}

/**
 * /proc/<pid>/limits: a header, then "Max open files  1024  524288  files" rows (the units
 * column is empty for some rows). Keyed by the row's name, e.g. "Max open files".
 */
export function parsePidLimits(text: string): Map<string, ResourceLimit> {
  const limits = new Map<string, ResourceLimit>();
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (!lines[0]?.startsWith('Limit ')) throw new ParseError(`expected the "Limit  Soft Limit ..." header, got ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
  for (const line of lines.slice(1)) {
    const m = LIMIT_LINE.exec(line);
    if (!m) throw new ParseError(`unexpected limits row ${JSON.stringify(line.slice(0, 80))}`);
    const name = m[1] as string;
    limits.set(name, { soft: limitValue(m[2] as string, name), hard: limitValue(m[3] as string, name) });
  }
  return limits;
}

/** The soft "Max open files" limit, which process-exporter divides open fds by. */
export function parseOpenFilesSoftLimit(text: string): number {
  const limit = parsePidLimits(text).get('Max open files');
  if (!limit) throw new ParseError('no "Max open files" row');
  return limit.soft;
}
