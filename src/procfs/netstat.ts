import { fields, parseInt10 } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** One counter of /proc/net/{netstat,snmp,snmp6}: `Tcp` + `ActiveOpens` = 42. */
export interface NetStatistic {
  readonly protocol: string;
  readonly field: string;
  readonly value: number;
}

/**
 * /proc/net/netstat and /proc/net/snmp: for each protocol a header line of field names and a
 * value line, both starting with "Proto:". Values are signed (Tcp MaxConn is -1).
 */
export function parseNetstat(text: string): NetStatistic[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new ParseError('no statistics');
  if (lines.length % 2 !== 0) throw new ParseError(`header line without a value line: ${JSON.stringify(lines[lines.length - 1])}`);
  const result: NetStatistic[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const [nameHead, ...names] = fields(lines[i] as string);
    const [valueHead, ...values] = fields(lines[i + 1] as string);
    if (nameHead === undefined || !nameHead.endsWith(':') || nameHead.length < 2) {
      throw new ParseError(`expected "Proto: name ...", got ${JSON.stringify(lines[i])}`);
    }
    if (valueHead !== nameHead) throw new ParseError(`values of ${nameHead} follow a line for ${JSON.stringify(valueHead)}`);
    if (names.length !== values.length) {
      throw new ParseError(`${nameHead} has ${names.length} names but ${values.length} values`);
    }
    const protocol = nameHead.slice(0, -1);
    names.forEach((field, j) => result.push({ protocol, field, value: parseInt10(values[j], `${protocol} ${field}`) }));
  }
  return result;
}

/**
 * /proc/net/snmp6: "Ip6InReceives   123" lines. The protocol is the name up to and including its
 * first "6" (Ip6, Icmp6, Udp6, UdpLite6); names without a "6" are skipped, as node_exporter does.
 */
export function parseSnmp6(text: string): NetStatistic[] {
  const result: NetStatistic[] = [];
  for (const line of text.split('\n')) {
    const f = fields(line);
    if (f.length === 0) continue;
    if (f.length !== 2) throw new ParseError(`expected "name value", got ${JSON.stringify(line)}`);
    const [name, value] = f as [string, string];
    const six = name.indexOf('6');
    if (six === -1) continue;
    result.push({ protocol: name.slice(0, six + 1), field: name.slice(six + 1), value: parseInt10(value, name) });
  }
  if (result.length === 0) throw new ParseError('no statistics');
  return result;
}
