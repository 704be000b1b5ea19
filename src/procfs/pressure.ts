import { fields, parseFloatStrict, parseUint } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

export interface PressureLine {
  readonly avg10: number;
  readonly avg60: number;
  readonly avg300: number;
  /** Cumulative stall time in microseconds. */
  readonly totalMicroseconds: number;
}

/** Either line may be absent: cpu had no "full" before 5.13, irq has only "full". */
export interface PressureStats {
  readonly some?: PressureLine;
  readonly full?: PressureLine;
}

const LINE_KEYS = ['avg10', 'avg60', 'avg300', 'total'] as const;

/**
 * /proc/pressure/<resource>: "some avg10=0.12 avg60=0.05 avg300=0.01 total=123456" and a
 * "full …" line. Other line kinds are ignored, so a kernel that adds one does not break this.
 */
export function parsePressure(text: string): PressureStats {
  let some: PressureLine | undefined;
  let full: PressureLine | undefined;
  for (const line of text.split('\n')) {
    const [kind, ...pairs] = fields(line);
    if (kind === 'some') some = parseLine(kind, pairs);
    else if (kind === 'full') full = parseLine(kind, pairs);
  }
  return { some, full };
}

function parseLine(kind: string, pairs: string[]): PressureLine {
  const values = LINE_KEYS.map((key, i) => {
    const pair = pairs[i];
    if (!pair?.startsWith(key + '=')) {
      throw new ParseError(`${kind}: expected ${key}=…, got ${pair === undefined ? 'nothing' : JSON.stringify(pair)}`);
    }
    return pair.slice(key.length + 1);
  });
  return {
    avg10: parseFloatStrict(values[0], `${kind} avg10`),
    avg60: parseFloatStrict(values[1], `${kind} avg60`),
    avg300: parseFloatStrict(values[2], `${kind} avg300`),
    totalMicroseconds: parseUint(values[3], `${kind} total`),
  };
}
