/**
 * Time zone abbreviations and offsets the way Go's time package finds them, so
 * node_time_zone_offset_seconds{time_zone} reads "CET", "PDT" or "UTC" like node_exporter's
 * (JS's Intl gives "GMT+1" for many zones). Pure: TZif bytes (RFC 8536) in, zone out; the
 * caller reads the files that localZoneFiles names.
 */
import { ParseError } from '../lib/parse-error.js';

export interface LocalTimeType {
  /** Seconds east of UTC. */
  readonly utoff: number;
  readonly isDst: boolean;
  readonly abbreviation: string;
}

export interface Transition {
  /** Unix seconds. */
  readonly at: number;
  /** Index into TimeZone.types of the type in effect from `at`. */
  readonly type: number;
}

export interface TimeZone {
  /** Ascending by `at`. */
  readonly transitions: readonly Transition[];
  readonly types: readonly LocalTimeType[];
  /** The footer's POSIX TZ rule for instants after the last transition; undefined if absent or unusable. */
  readonly footer: PosixTz | undefined;
}

export interface ZoneAt {
  readonly abbreviation: string;
  readonly offsetSeconds: number;
}

/** Go's fallback when no zone file loads: a zone named "UTC" with offset 0. */
export const UTC: TimeZone = { transitions: [], types: [{ utoff: 0, isDst: false, abbreviation: 'UTC' }], footer: undefined };

/** Where Go looks for a zone named by a relative TZ (time.platformZoneSources on Unix). */
export const ZONEINFO_DIRS: readonly string[] = ['/usr/share/zoneinfo', '/usr/share/lib/zoneinfo', '/usr/lib/locale/TZ', '/etc/zoneinfo'];

/**
 * The zone files to try, in order, for the TZ environment variable, by Go's rules: unset means
 * /etc/localtime; "" or "UTC" means UTC (no file); a leading ':' is dropped; an absolute path is
 * read as is; any other name is looked up in ZONEINFO_DIRS. When none loads, Go uses UTC.
 */
export function localZoneFiles(tz: string | undefined): string[] {
  if (tz === undefined) return ['/etc/localtime'];
  const name = tz.startsWith(':') ? tz.slice(1) : tz;
  if (name.startsWith('/')) return [name];
  if (name === '' || name === 'UTC') return [];
  return ZONEINFO_DIRS.map((dir) => `${dir}/${name}`);
}

/** The abbreviation and offset in effect at `unixSeconds`. */
export function zoneAt(zone: TimeZone, unixSeconds: number): ZoneAt {
  const { transitions, types } = zone;
  const last = transitions[transitions.length - 1];
  if (last === undefined || unixSeconds >= last.at) {
    // After the table (or with none), the footer rule continues it, as Go does.
    if (zone.footer) return posixZoneAt(zone.footer, unixSeconds);
    return describe(types[last?.type ?? 0]);
  }
  // RFC 8536: before the first transition, type 0 applies.
  if (unixSeconds < (transitions[0] as Transition).at) return describe(types[0]);
  // Binary search for the last transition at or before the instant: at(lo) <= t < at(hi).
  let lo = 0;
  let hi = transitions.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if ((transitions[mid] as Transition).at <= unixSeconds) lo = mid;
    else hi = mid;
  }
  return describe(types[(transitions[lo] as Transition).type]);
}

function describe(type: LocalTimeType | undefined): ZoneAt {
  // parseTzif guarantees at least one type and valid indexes.
  if (!type) throw new Error('time zone has no local time types');
  return { abbreviation: type.abbreviation, offsetSeconds: type.utoff };
}

const HEADER_BYTES = 44;

/** Parses TZif version 1–4 data: the 64-bit block and footer when present (v2+), else the v1 block. */
export function parseTzif(data: Uint8Array): TimeZone {
  const r = new ByteReader(data);
  const v1 = readHeader(r);
  if (v1.version < 2) return readDataBlock(r, v1, 4);
  r.take(dataBlockBytes(v1, 4), 'version 1 data block');
  const v2 = readHeader(r);
  const zone = readDataBlock(r, v2, 8);
  const rest = new TextDecoder('latin1').decode(r.remaining());
  // The footer is "\n<TZ string>\n"; like Go, a missing or unusable one just means no rule.
  if (rest.length > 2 && rest.startsWith('\n') && rest.endsWith('\n')) {
    try {
      return { ...zone, footer: parsePosixTz(rest.slice(1, -1)) };
    } catch {
      return zone;
    }
  }
  return zone;
}

interface TzifHeader {
  readonly version: number;
  readonly isutcnt: number;
  readonly isstdcnt: number;
  readonly leapcnt: number;
  readonly timecnt: number;
  readonly typecnt: number;
  readonly charcnt: number;
}

function readHeader(r: ByteReader): TzifHeader {
  // Checked before the length, so a short foreign file is called foreign, not truncated.
  const magic = String.fromCharCode(...r.remaining().subarray(0, 4));
  if (!'TZif'.startsWith(magic)) throw new ParseError('not TZif data: bad magic');
  const bytes = r.take(HEADER_BYTES, 'header');
  const versionByte = bytes[4] as number;
  const version = versionByte === 0 ? 1 : versionByte - 0x30;
  if (version < 1 || version > 9) throw new ParseError(`unsupported TZif version byte 0x${versionByte.toString(16)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + 20, 24);
  const [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = [0, 4, 8, 12, 16, 20].map((o) => view.getUint32(o));
  const h = { version, isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt } as TzifHeader;
  if (h.typecnt === 0) throw new ParseError('TZif header: typecnt is 0');
  if (h.charcnt === 0) throw new ParseError('TZif header: charcnt is 0');
  if (h.isutcnt !== 0 && h.isutcnt !== h.typecnt) throw new ParseError('TZif header: isutcnt is neither 0 nor typecnt');
  if (h.isstdcnt !== 0 && h.isstdcnt !== h.typecnt) throw new ParseError('TZif header: isstdcnt is neither 0 nor typecnt');
  return h;
}

function dataBlockBytes(h: TzifHeader, timeSize: number): number {
  return h.timecnt * (timeSize + 1) + h.typecnt * 6 + h.charcnt + h.leapcnt * (timeSize + 4) + h.isstdcnt + h.isutcnt;
}

function readDataBlock(r: ByteReader, h: TzifHeader, timeSize: 4 | 8): TimeZone {
  const block = r.take(dataBlockBytes(h, timeSize), `version ${timeSize === 4 ? 1 : h.version} data block`);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const typesAt = h.timecnt * (timeSize + 1);
  const charsAt = typesAt + h.typecnt * 6;
  const chars = block.subarray(charsAt, charsAt + h.charcnt);

  const types: LocalTimeType[] = [];
  for (let i = 0; i < h.typecnt; i++) {
    const at = typesAt + i * 6;
    const desigidx = view.getUint8(at + 5);
    if (desigidx >= h.charcnt) throw new ParseError(`TZif local time type ${i}: designation index ${desigidx} out of range`);
    const end = chars.indexOf(0, desigidx);
    const abbreviation = String.fromCharCode(...chars.subarray(desigidx, end < 0 ? chars.length : end));
    types.push({ utoff: view.getInt32(at), isDst: view.getUint8(at + 4) !== 0, abbreviation });
  }

  const transitions: Transition[] = [];
  for (let i = 0; i < h.timecnt; i++) {
    const at = timeSize === 4 ? view.getInt32(i * 4) : Number(view.getBigInt64(i * 8));
    const type = view.getUint8(h.timecnt * timeSize + i);
    if (type >= h.typecnt) throw new ParseError(`TZif transition ${i}: type ${type} out of range`);
    transitions.push({ at, type });
  }
  return { transitions, types, footer: undefined };
}

class ByteReader {
  private offset = 0;
  constructor(private readonly data: Uint8Array) {}

  take(length: number, what: string): Uint8Array {
    if (this.offset + length > this.data.length) {
      throw new ParseError(
        `TZif data truncated: ${what} needs ${length} bytes at offset ${this.offset}, only ${this.data.length - this.offset} left`,
      );
    }
    const bytes = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  remaining(): Uint8Array {
    return this.data.subarray(this.offset);
  }
}

// ---- POSIX TZ strings (the TZif footer), e.g. "CET-1CEST,M3.5.0,M10.5.0/3" ----

/** A day rule: Jn (1–365, Feb 29 not counted), n (0–365, counted) or Mm.w.d; `time` is seconds after local midnight. */
export type DayRule =
  | { readonly kind: 'julian'; readonly day: number; readonly time: number }
  | { readonly kind: 'yearday'; readonly day: number; readonly time: number }
  | { readonly kind: 'month'; readonly month: number; readonly week: number; readonly weekday: number; readonly time: number };

export interface PosixTz {
  readonly std: LocalTimeType;
  /** Daylight time and when it starts (in standard time) and ends (in daylight time). */
  readonly dst?: { readonly type: LocalTimeType; readonly start: DayRule; readonly end: DayRule };
}

const HOUR = 3600;
const DAY = 86400;
const US_RULES: { start: DayRule; end: DayRule } = {
  start: { kind: 'month', month: 3, week: 2, weekday: 0, time: 2 * HOUR },
  end: { kind: 'month', month: 11, week: 1, weekday: 0, time: 2 * HOUR },
};

export function parsePosixTz(text: string): PosixTz {
  const p = new TzCursor(text);
  const stdName = p.name();
  const std: LocalTimeType = { utoff: eastOfUtc(p.offset(24)), isDst: false, abbreviation: stdName };
  // Like Go, a string with no daylight name has no daylight time, whatever follows a ','.
  if (p.done() || p.peek() === ',') return { std };
  const dstName = p.name();
  const utoff = p.done() || p.peek() === ',' ? std.utoff + HOUR : eastOfUtc(p.offset(24));
  const type: LocalTimeType = { utoff, isDst: true, abbreviation: dstName };
  // Without rules, the US rules POSIX implementations (and Go) assume.
  if (p.done()) return { std, dst: { type, ...US_RULES } };
  p.expect(',', ';');
  const start = p.rule();
  p.expect(',');
  const end = p.rule();
  if (!p.done()) throw new ParseError(`TZ string ${JSON.stringify(text)}: unexpected ${JSON.stringify(p.rest())}`);
  return { std, dst: { type, start, end } };
}

/** POSIX offsets count hours west of UTC ("CET-1"); TZif's count seconds east. */
function eastOfUtc(west: number): number {
  return 0 - west; // not -west, which makes -0 of 0
}

/** The abbreviation and offset a POSIX TZ rule gives at `unixSeconds`. */
export function posixZoneAt(tz: PosixTz, unixSeconds: number): ZoneAt {
  const { std, dst } = tz;
  if (!dst) return describe(std);
  // The rule's transitions in the UTC year of the instant (Go computes them the same way).
  const year = new Date(unixSeconds * 1000).getUTCFullYear();
  const yearStart = daysSinceEpoch(year, 1, 1) * DAY;
  const start = yearStart + ruleDay(dst.start, year) * DAY + dst.start.time - std.utoff;
  const end = yearStart + ruleDay(dst.end, year) * DAY + dst.end.time - dst.type.utoff;
  // Southern hemisphere: daylight time spans the new year, so it is the outside of [end, start).
  const inDst = start < end ? unixSeconds >= start && unixSeconds < end : !(unixSeconds >= end && unixSeconds < start);
  return describe(inDst ? dst.type : std);
}

/** Zero-based day of the year a rule names. */
function ruleDay(rule: DayRule, year: number): number {
  switch (rule.kind) {
    case 'julian':
      return rule.day - 1 + (isLeap(year) && rule.day >= 60 ? 1 : 0);
    case 'yearday':
      return rule.day;
    case 'month': {
      const first = daysSinceEpoch(year, rule.month, 1);
      const firstWeekday = (((first + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
      let dayOfMonth = 1 + ((rule.weekday - firstWeekday + 7) % 7) + 7 * (rule.week - 1);
      const monthLength = daysSinceEpoch(year, rule.month + 1, 1) - first;
      while (dayOfMonth > monthLength) dayOfMonth -= 7; // week 5 means the last one
      return first + dayOfMonth - 1 - daysSinceEpoch(year, 1, 1);
    }
  }
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days from 1970-01-01 to year-month-day (month may be 13 for the next January). */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, no 1900 offset for years < 100
  return Math.round(d.getTime() / (DAY * 1000));
}

class TzCursor {
  private i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  peek(): string | undefined {
    return this.s[this.i];
  }

  rest(): string {
    return this.s.slice(this.i);
  }

  fail(what: string): never {
    throw new ParseError(`TZ string ${JSON.stringify(this.s)}: ${what} at offset ${this.i}`);
  }

  expect(...chars: string[]): void {
    if (!chars.includes(this.peek() ?? '')) this.fail(`expected ${chars.map((c) => JSON.stringify(c)).join(' or ')}`);
    this.i++;
  }

  /** A zone name: <anything but '>'>, or 3+ characters up to a digit, ',', '+' or '-'. */
  name(): string {
    if (this.peek() === '<') {
      const close = this.s.indexOf('>', this.i);
      if (close < 0) this.fail("unterminated '<' name");
      const name = this.s.slice(this.i + 1, close);
      this.i = close + 1;
      return name;
    }
    const m = /^[^0-9,+-]*/.exec(this.rest()) as RegExpExecArray;
    if (m[0].length < 3) this.fail('expected a zone name of at least 3 characters');
    this.i += m[0].length;
    return m[0];
  }

  /** [+-]hh[:mm[:ss]] in seconds; hours up to maxHours. */
  offset(maxHours: number): number {
    let sign = 1;
    if (this.peek() === '+' || this.peek() === '-') sign = this.s[this.i++] === '-' ? -1 : 1;
    let seconds = this.number(0, maxHours, 'hours') * HOUR;
    if (this.peek() === ':') {
      this.i++;
      seconds += this.number(0, 59, 'minutes') * 60;
      if (this.peek() === ':') {
        this.i++;
        seconds += this.number(0, 59, 'seconds');
      }
    }
    return sign * seconds;
  }

  rule(): DayRule {
    let rule: DayRule;
    if (this.peek() === 'J') {
      this.i++;
      rule = { kind: 'julian', day: this.number(1, 365, 'Julian day'), time: 2 * HOUR };
    } else if (this.peek() === 'M') {
      this.i++;
      const month = this.number(1, 12, 'month');
      this.expect('.');
      const week = this.number(1, 5, 'week');
      this.expect('.');
      const weekday = this.number(0, 6, 'weekday');
      rule = { kind: 'month', month, week, weekday, time: 2 * HOUR };
    } else {
      rule = { kind: 'yearday', day: this.number(0, 365, 'day of year'), time: 2 * HOUR };
    }
    if (this.peek() !== '/') return rule;
    this.i++;
    // RFC 8536 extends POSIX: the time may be negative and up to 167 hours.
    return { ...rule, time: this.offset(167) };
  }

  private number(min: number, max: number, what: string): number {
    const m = /^[0-9]+/.exec(this.rest());
    if (!m) this.fail(`expected ${what}`);
    const n = Number(m[0]);
    if (n < min || n > max) this.fail(`${what} ${n} is outside ${min}–${max}`);
    this.i += m[0].length;
    return n;
  }
}
