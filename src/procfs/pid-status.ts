import { fields, parseUint } from './parse.js';
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

/** "VmSwap:\t  1234 kB" → bytes. The kernel always prints these in kB. */
function kilobytes(value: string, key: string): number {
  const [amount, unit, ...rest] = fields(value);
  if (unit !== 'kB' || rest.length > 0) throw new ParseError(`${key}: expected "<number> kB", got ${JSON.stringify(value)}`);
  return parseUint(amount, key) * 1024;
}

/** Parses "Key:\tvalue" lines; unknown keys are ignored, a known key with a bad value throws. */
export function parsePidStatus(text: string): PidStatus {
  const status: { -readonly [K in keyof PidStatus]: PidStatus[K] } = {};
  let lines = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ParseError(`expected "Key: value", got ${JSON.stringify(line.slice(0, 60))}`);
    lines++;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    switch (key) {
      case 'Uid': {
        const ids = fields(value);
        if (ids.length !== 4) throw new ParseError(`Uid: expected 4 ids, got ${JSON.stringify(value.trim())}`);
        status.effectiveUid = parseUint(ids[1], 'Uid');
        break;
      }
      case 'VmSwap':
        status.swapBytes = kilobytes(value, key);
        break;
      case 'voluntary_ctxt_switches':
        status.voluntaryCtxtSwitches = parseUint(value.trim(), key);
        break;
      case 'nonvoluntary_ctxt_switches':
        status.nonvoluntaryCtxtSwitches = parseUint(value.trim(), key);
        break;
    }
  }
  if (lines === 0) throw new ParseError('empty status file');
  return status;
}
