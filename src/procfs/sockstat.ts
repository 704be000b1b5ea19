import { fields, parseInt10 } from './parse.js';
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

/** /proc/net/sockstat and /proc/net/sockstat6: "Proto: key value key value ..." lines. */
export function parseSockstat(text: string): Sockstat {
  let used: number | undefined;
  const protocols: SockstatProtocol[] = [];
  for (const line of text.split('\n')) {
    const [head, ...pairs] = fields(line);
    if (head === undefined) continue;
    if (!head.endsWith(':') || head.length < 2 || pairs.length === 0 || pairs.length % 2 !== 0) {
      throw new ParseError(`expected "Proto: key value ...", got ${JSON.stringify(line)}`);
    }
    const protocol = head.slice(0, -1);
    const values = new Map<string, number>();
    for (let i = 0; i < pairs.length; i += 2) {
      const key = pairs[i] as string;
      values.set(key, parseInt10(pairs[i + 1], `${protocol} ${key}`));
    }
    if (protocol === 'sockets') {
      used = values.get('used');
      if (used === undefined) throw new ParseError(`"sockets" line without "used": ${JSON.stringify(line)}`);
    } else {
      protocols.push({ protocol, values });
    }
  }
  if (used === undefined && protocols.length === 0) throw new ParseError('no sockstat lines');
  return used === undefined ? { protocols } : { used, protocols };
}
