import { parseHexUint } from './hex.js';
import { fields } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** One row (one online CPU) of /proc/net/softnet_stat. */
export interface SoftnetRow {
  /** The CPU id: the 13th column on Linux 5.14+, before that the row number. */
  readonly cpu: number;
  readonly processed: number;
  readonly dropped: number;
  readonly timeSqueezed: number;
  readonly cpuCollision: number;
  /** 0 before Linux 2.6.39 (10th column). */
  readonly receivedRps: number;
  /** 0 before Linux 4.18 (11th column). */
  readonly flowLimitCount: number;
  /** 0 before Linux 5.14 (12th column). */
  readonly backlogLen: number;
}

const MIN_COLUMNS = 9;

/**
 * /proc/net/softnet_stat: one line of "%08x" columns per online CPU. The width grew with the
 * kernel (9, 10, 11, 13, and 15 since 6.x); columns are read by position, extra ones ignored.
 */
export function parseSoftnet(text: string): SoftnetRow[] {
  const rows: SoftnetRow[] = [];
  for (const line of text.split('\n')) {
    const f = fields(line);
    if (f.length === 0) continue;
    if (f.length < MIN_COLUMNS) throw new ParseError(`row ${rows.length}: ${f.length} columns, expected at least ${MIN_COLUMNS}`);
    const column = (i: number, what: string) => (i < f.length ? parseHexUint(f[i], `row ${rows.length} ${what}`) : 0);
    rows.push({
      processed: column(0, 'processed'),
      dropped: column(1, 'dropped'),
      timeSqueezed: column(2, 'time_squeeze'),
      cpuCollision: column(8, 'cpu_collision'),
      receivedRps: column(9, 'received_rps'),
      flowLimitCount: column(10, 'flow_limit_count'),
      backlogLen: f.length >= 13 ? column(11, 'backlog_len') : 0,
      cpu: f.length >= 13 ? column(12, 'cpu') : rows.length,
    });
  }
  if (rows.length === 0) throw new ParseError('no rows');
  return rows;
}
