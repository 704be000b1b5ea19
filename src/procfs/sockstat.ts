import { FieldScanner, parseInt10, plainIntAt } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** One protocol line of /proc/net/sockstat{,6}: "TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 3". */
export interface SockstatProtocol {
  /** As the file spells it: TCP, UDP, UDPLITE, RAW, FRAG, TCP6, ... */
  readonly protocol: string;
  /** Every key/value pair of the line, in file order. */
  readonly values: ReadonlyMap<string, number>;
}

export interface Sockstat {
  /** "sockets: used N"; only the IPv4 file has it. */
  readonly used?: number;
  readonly protocols: SockstatProtocol[];
}

/** The keys the kernel prints, taken as constants rather than sliced out of every line. */
const KNOWN_KEYS = ['inuse', 'orphan', 'tw', 'alloc', 'mem', 'memory', 'used'];

/** /proc/net/sockstat and /proc/net/sockstat6: "Proto: key value key value ..." lines. */
export function parseSockstat(text: string): Sockstat {
  let used: number | undefined;
  const protocols: SockstatProtocol[] = [];
  const scan = new FieldScanner(text);
  while (scan.nextLine()) {
    if (!scan.nextField()) continue;
    const { start: headStart, end: headEnd } = scan;
    const pairFields = scan.remainingFields();
    if (text.charCodeAt(headEnd - 1) !== 58 || headEnd - headStart < 2 || pairFields === 0 || pairFields % 2 !== 0) { // ':'
      throw new ParseError(`expected "Proto: key value ...", got ${JSON.stringify(scan.line())}`);
    }
    const protocol = text.slice(headStart, headEnd - 1);
    const values = new Map<string, number>();
    while (scan.nextField()) {
      const key = knownKey(scan) ?? scan.field();
      scan.nextField();
      const value = plainIntAt(text, scan.start, scan.end);
      values.set(key, Number.isNaN(value) ? parseInt10(scan.field(), `${protocol} ${key}`) : value);
    }
    if (protocol === 'sockets') {
      used = values.get('used');
      if (used === undefined) throw new ParseError(`"sockets" line without "used": ${JSON.stringify(scan.line())}`);
    } else {
      protocols.push({ protocol, values });
    }
  }
  if (used === undefined && protocols.length === 0) throw new ParseError('no sockstat lines');
  return used === undefined ? { protocols } : { used, protocols };
}

function knownKey(scan: FieldScanner): string | undefined {
  for (const key of KNOWN_KEYS) if (scan.fieldIs(key)) return key;
  return undefined;
}
