import { FieldScanner, fields, isSpace, parseInt10, plainIntAt, ReusedNames, textIs } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** One counter of /proc/net/{netstat,snmp,snmp6}: `Tcp` + `ActiveOpens` = 42. */
export interface NetStatistic {
  readonly protocol: string;
  readonly field: string;
  readonly value: number;
}

/** One protocol's pair of lines in /proc/net/netstat or /proc/net/snmp. */
export interface NetstatTable {
  readonly protocol: string;
  /**
   * The header line as printed ("Tcp: RtoAlgorithm RtoMin ..."): the kernel prints the same one
   * every time, so callers can key what they derive from the names on it.
   */
  readonly header: string;
  /** The values, one per name of the header, in its order. */
  readonly values: readonly number[];
}

/** The field names of a table's header line, in order. */
export function netstatHeaderNames(header: string): string[] {
  return fields(header).slice(1);
}

/**
 * /proc/net/netstat and /proc/net/snmp: for each protocol a header line of field names and a
 * value line, both starting with "Proto:". Values are signed (Tcp MaxConn is -1).
 */
export function parseNetstat(text: string): NetStatistic[] {
  return parseNetstatTables(text).flatMap((table) =>
    netstatHeaderNames(table.header).map((field, j) => ({ protocol: table.protocol, field, value: table.values[j] as number })),
  );
}

/**
 * parseNetstat's tables, read by index: no per-field strings (values are parsed in place). The
 * kernel prints the same header lines on every read, so a header equal to that of `previous`
 * at the same place is taken from there (with its protocol) instead of being sliced again.
 */
export function parseNetstatTables(text: string, previous?: readonly NetstatTable[]): NetstatTable[] {
  // Counted first, so an unpaired last line is reported whatever the lines before it hold.
  const scan = new FieldScanner(text);
  let lineCount = 0;
  let lastLineStart = 0;
  let lastLineEnd = 0;
  while (scan.nextLine()) {
    if (!scan.nextField()) continue;
    lineCount++;
    lastLineStart = scan.lineStart;
    lastLineEnd = scan.lineEnd;
  }
  if (lineCount === 0) throw new ParseError('no statistics');
  if (lineCount % 2 !== 0) {
    throw new ParseError(`header line without a value line: ${JSON.stringify(text.slice(lastLineStart, lastLineEnd))}`);
  }
  const tables: NetstatTable[] = [];
  const lines = new FieldScanner(text);
  while (nextNonBlankLine(lines)) {
    const { start: headStart, end: headEnd } = lines;
    if (headEnd - headStart < 2 || text.charCodeAt(headEnd - 1) !== 58) { // ':'
      throw new ParseError(`expected "Proto: name ...", got ${JSON.stringify(lines.line())}`);
    }
    const nameCount = lines.remainingFields();
    // The header without surrounding blanks, as fields() would see it.
    let headerEnd = lines.lineEnd;
    while (headerEnd > headStart && isSpace(text.charCodeAt(headerEnd - 1))) headerEnd--;
    const known = previous?.[tables.length];
    const reuse = known !== undefined && textIs(text, headStart, headerEnd, known.header);
    const header = reuse ? known.header : text.slice(headStart, headerEnd);
    nextNonBlankLine(lines);
    if (!sameText(text, headStart, headEnd, lines.start, lines.end)) {
      throw new ParseError(`values of ${header.slice(0, headEnd - headStart)} follow a line for ${JSON.stringify(lines.field())}`);
    }
    const protocol = reuse ? known.protocol : text.slice(headStart, headEnd - 1);
    const valueCount = lines.remainingFields();
    if (valueCount !== nameCount) throw new ParseError(`${protocol}: has ${nameCount} names but ${valueCount} values`);
    // Sized once: a TcpExt line has well over a hundred values.
    const values = new Array<number>(valueCount);
    for (let j = 0; lines.nextField(); j++) {
      let value = plainIntAt(text, lines.start, lines.end);
      if (Number.isNaN(value)) {
        const field = fields(header)[j + 1] as string;
        value = parseInt10(lines.field(), `${protocol} ${field}`);
      }
      values[j] = value;
    }
    tables.push({ protocol, header, values });
  }
  return tables;
}

function nextNonBlankLine(scan: FieldScanner): boolean {
  while (scan.nextLine()) if (scan.nextField()) return true;
  return false;
}

/** Whether text[aStart, aEnd) and text[bStart, bEnd) are the same characters. */
function sameText(text: string, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) if (text.charCodeAt(aStart + i) !== text.charCodeAt(bStart + i)) return false;
  return true;
}

/** The counters of /proc/net/snmp6, in file order: `Ip6InReceives` = 123. */
export interface Snmp6Counters {
  /** The names as printed; each has a "6" (names without one are left out). */
  readonly names: readonly string[];
  readonly values: readonly number[];
}

/**
 * /proc/net/snmp6: "Ip6InReceives   123" lines. The protocol is the name up to and including its
 * first "6" (Ip6, Icmp6, Udp6, UdpLite6); names without a "6" are skipped, as node_exporter does.
 */
export function parseSnmp6(text: string): NetStatistic[] {
  const { names, values } = parseSnmp6Counters(text);
  return names.map((name, i) => {
    const { protocol, field } = splitSnmp6Name(name);
    return { protocol, field, value: values[i] as number };
  });
}

/** `Icmp6OutType133` → `Icmp6` + `OutType133`. */
export function splitSnmp6Name(name: string): { protocol: string; field: string } {
  const six = name.indexOf('6');
  return { protocol: name.slice(0, six + 1), field: name.slice(six + 1) };
}

/** parseSnmp6's counters, read by index, the names reused from `previous` (ReusedNames). */
export function parseSnmp6Counters(text: string, previous?: Snmp6Counters): Snmp6Counters {
  const names = new ReusedNames(text, previous?.names);
  const values: number[] = [];
  const scan = new FieldScanner(text);
  while (scan.nextLine()) {
    if (!scan.nextField()) continue;
    const { start: nameStart, end: nameEnd } = scan;
    if (scan.remainingFields() !== 1) throw new ParseError(`expected "name value", got ${JSON.stringify(scan.line())}`);
    scan.nextField();
    const six = text.indexOf('6', nameStart);
    if (six === -1 || six >= nameEnd) continue;
    const name = names.take(nameStart, nameEnd);
    let value = plainIntAt(text, scan.start, scan.end);
    if (Number.isNaN(value)) value = parseInt10(scan.field(), name);
    values.push(value);
  }
  if (values.length === 0) throw new ParseError('no statistics');
  return { names: names.names(), values };
}
