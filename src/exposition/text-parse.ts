/**
 * A parser of the Prometheus text format (0.0.4) with the rules of client_golang's
 * expfmt.TextParser, which node_exporter's textfile collector uses: the same files must be
 * accepted or refused, with the same quirks (a last line without a newline is an error, so is
 * a blank after the value; `foo_count` joins family `foo` only once `foo` is declared a
 * summary or histogram; HELP-only families vanish). Timestamps are parsed and kept, so the
 * caller can refuse a file that has them, as node_exporter does.
 */
import { parseGoFloat } from '../gocompat/go-float.js';

export type TextFamilyType = 'counter' | 'gauge' | 'untyped' | 'summary' | 'histogram';

export interface TextMetric {
  /** Label pairs in file order, without a summary's `quantile` or a histogram's `le`. */
  readonly labels: Array<[string, string]>;
  timestampMs?: number;
  /** Counter, gauge and untyped: the value. */
  value?: number;
  /** Summary: [quantile, value] pairs in file order. */
  readonly quantiles: Array<[number, number]>;
  /** Histogram: [upper bound, cumulative count] pairs in file order. */
  readonly buckets: Array<[number, number]>;
  /** Summary and histogram _count (truncated to an integer, as Go's uint64 conversion does) and _sum. */
  count?: number;
  sum?: number;
}

export interface TextFamily {
  readonly name: string;
  help?: string;
  type?: TextFamilyType;
  readonly metrics: TextMetric[];
}

export class TextParseError extends Error {
  override readonly name = 'TextParseError';
  constructor(
    readonly line: number,
    why: string,
  ) {
    super(`text format parsing error in line ${line}: ${why}`);
  }
}

const TYPES: Record<string, TextFamilyType> = {
  COUNTER: 'counter',
  GAUGE: 'gauge',
  UNTYPED: 'untyped',
  SUMMARY: 'summary',
  HISTOGRAM: 'histogram',
};



const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isNameStart = (c: string | undefined): boolean => c !== undefined && /[a-zA-Z_:]/.test(c);
const isNameChar = (c: string | undefined): boolean => c !== undefined && /[a-zA-Z0-9_:]/.test(c);
const isLabelStart = (c: string | undefined): boolean => c !== undefined && /[a-zA-Z_]/.test(c);
const isLabelChar = (c: string | undefined): boolean => c !== undefined && /[a-zA-Z0-9_]/.test(c);

/** Go's %q of one character, for messages. */
const quoteChar = (c: string | undefined): string => (c === undefined ? "'\\n'" : JSON.stringify(c).replace(/^"|"$/g, "'"));

/** The text after a family name's `_count`/`_sum` (and for histograms `_bucket`) suffix, as expfmt strips it. */
function stripSuffix(name: string, suffixes: readonly string[]): string | undefined {
  for (const s of suffixes) {
    if (name.length > s.length && name.endsWith(s)) return name.slice(0, -s.length);
  }
  return undefined;
}

/** One line being read: its text, the position, and the line number for errors. */
class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly lineNumber: number,
  ) {}

  peek(): string | undefined {
    return this.text[this.pos];
  }

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipBlanks(): void {
    while (isBlank(this.peek())) this.pos++;
  }

  /** Characters up to the next blank or the end of the line. */
  tokenUntilBlank(): string {
    const start = this.pos;
    while (!this.atEnd && !isBlank(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  token(start: (c: string | undefined) => boolean, rest: (c: string | undefined) => boolean): string {
    if (!start(this.peek())) return '';
    const from = this.pos;
    this.pos++;
    while (rest(this.peek())) this.pos++;
    return this.text.slice(from, this.pos);
  }

  fail(why: string): never {
    throw new TextParseError(this.lineNumber, why);
  }
}

/** Where the current sample goes: its family, and whether it is that family's _count or _sum. */
interface Target {
  family: TextFamily;
  isCount: boolean;
  isSum: boolean;
}

class Parser {
  readonly families = new Map<string, TextFamily>();
  /** Summary and histogram metrics by family and label set (expfmt's LabelsToSignature). */
  private readonly grouped = new Map<string, TextMetric>();

  /** expfmt's setOrCreateCurrentMF: `x_count` belongs to `x` once `x` is a summary or histogram. */
  target(name: string): Target {
    const own = this.families.get(name);
    if (own) return { family: own, isCount: false, isSum: false };
    const isCount = name.length > 6 && name.endsWith('_count');
    const isSum = name.length > 4 && name.endsWith('_sum');
    const summary = this.families.get(stripSuffix(name, ['_count', '_sum']) ?? name);
    if (summary?.type === 'summary') return { family: summary, isCount, isSum };
    const histogram = this.families.get(stripSuffix(name, ['_count', '_sum', '_bucket']) ?? name);
    if (histogram?.type === 'histogram') return { family: histogram, isCount, isSum };
    const created: TextFamily = { name, metrics: [] };
    this.families.set(name, created);
    return { family: created, isCount: false, isSum: false };
  }

  line(c: Cursor): void {
    c.skipBlanks();
    if (c.atEnd) return;
    if (c.peek() === '#') this.comment(c);
    else this.sample(c);
  }

  private comment(c: Cursor): void {
    c.pos++;
    c.skipBlanks();
    const keyword = c.tokenUntilBlank();
    if (c.atEnd || (keyword !== 'HELP' && keyword !== 'TYPE')) return; // A plain comment.
    c.skipBlanks();
    const name = c.token(isNameStart, isNameChar);
    if (c.atEnd) return;
    if (!isBlank(c.peek())) c.fail('invalid metric name in comment');
    const { family } = this.target(name);
    c.skipBlanks();
    if (c.atEnd) return;
    if (keyword === 'HELP') {
      if (family.help !== undefined) c.fail(`second HELP line for metric name ${JSON.stringify(family.name)}`);
      family.help = unescapeHelp(c);
    } else {
      if (family.type !== undefined) {
        c.fail(`second TYPE line for metric name ${JSON.stringify(family.name)}, or TYPE reported after samples`);
      }
      // expfmt drops backslashes from the TYPE text rather than reading them as escapes.
      const raw = c.text.slice(c.pos).replace(/\\/g, '');
      const type = TYPES[raw.toUpperCase()];
      if (!type) c.fail(`unknown metric type ${JSON.stringify(raw)}`);
      family.type = type;
    }
  }

  private sample(c: Cursor): void {
    const name = c.token(isNameStart, isNameChar);
    if (name === '') c.fail('invalid metric name');
    const { family, isCount, isSum } = this.target(name);
    family.type ??= 'untyped';
    c.skipBlanks();
    const labels: Array<[string, string]> = [];
    // A summary's quantile and a histogram's le; NaN (absent or "NaN") makes expfmt ignore the value.
    let quantile = NaN;
    let bucket = NaN;
    if (c.peek() === '{') {
      c.pos++;
      for (;;) {
        c.skipBlanks();
        if (c.peek() === '}') break;
        const label = c.token(isLabelStart, isLabelChar);
        if (label === '') c.fail(`invalid label name for metric ${JSON.stringify(family.name)}`);
        if (label === '__name__') c.fail('label name "__name__" is reserved');
        c.skipBlanks();
        if (c.peek() !== '=') c.fail(`expected '=' after label name, found ${quoteChar(c.peek())}`);
        c.pos++;
        c.skipBlanks();
        if (c.peek() !== '"') c.fail(`expected '"' at start of label value, found ${quoteChar(c.peek())}`);
        c.pos++;
        const value = unescapeLabelValue(c);
        if (family.type === 'summary' && label === 'quantile') {
          quantile = floatLabel(c, value, 'quantile');
        } else if (family.type === 'histogram' && label === 'le') {
          bucket = floatLabel(c, value, 'le');
        } else {
          if (labels.some(([n]) => n === label)) c.fail(`duplicate label names for metric ${JSON.stringify(family.name)}`);
          labels.push([label, value]);
        }
        c.skipBlanks();
        if (c.peek() === ',') {
          c.pos++;
          continue;
        }
        if (c.peek() !== '}') c.fail(`unexpected end of label value ${JSON.stringify(value)}`);
        break;
      }
      c.pos++;
      c.skipBlanks();
    }

    const metric = this.metricFor(family, labels);
    const rawValue = c.tokenUntilBlank();
    const value = parseExpfmtFloat(rawValue);
    if (value === undefined) c.fail(`expected float as value, got ${JSON.stringify(rawValue)}`);
    if (family.type === 'summary' || family.type === 'histogram') {
      if (isCount) {
        if (value < 0) c.fail(`negative count for ${family.type} ${JSON.stringify(family.name)}`);
        metric.count = Math.trunc(value);
      } else if (isSum) metric.sum = value;
      else if (family.type === 'summary' && !Number.isNaN(quantile)) metric.quantiles.push([quantile, value]);
      else if (family.type === 'histogram' && !Number.isNaN(bucket)) {
        if (value < 0) c.fail(`negative bucket population for histogram ${JSON.stringify(family.name)}`);
        metric.buckets.push([bucket, Math.trunc(value)]);
      }
    } else metric.value = value;
    if (c.atEnd) return;

    c.skipBlanks();
    const rawTimestamp = c.tokenUntilBlank();
    if (!/^[+-]?\d+$/.test(rawTimestamp)) c.fail(`expected integer as timestamp, got ${JSON.stringify(rawTimestamp)}`);
    metric.timestampMs = Number(rawTimestamp);
    if (!c.atEnd) c.fail(`spurious string after timestamp: ${JSON.stringify(c.text.slice(c.pos))}`);
  }

  /** A new metric, or for summaries and histograms the one already started for these labels. */
  private metricFor(family: TextFamily, labels: Array<[string, string]>): TextMetric {
    const grouped = family.type === 'summary' || family.type === 'histogram';
    const key = grouped ? JSON.stringify([family.name, [...labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]) : '';
    if (grouped) {
      const existing = this.grouped.get(key);
      if (existing) return existing;
    }
    const metric: TextMetric = { labels, quantiles: [], buckets: [] };
    family.metrics.push(metric);
    if (grouped) this.grouped.set(key, metric);
    return metric;
  }
}

/** expfmt's parseFloat: Go's ParseFloat, minus hex floats and digit separators. */
function parseExpfmtFloat(text: string): number | undefined {
  return /[pP_]/.test(text) ? undefined : parseGoFloat(text);
}

function floatLabel(c: Cursor, value: string, label: string): number {
  const v = parseExpfmtFloat(value);
  if (v === undefined) c.fail(`expected float as value for '${label}' label, got ${JSON.stringify(value)}`);
  return v;
}

/** A HELP text to the end of the line; `\\` and `\n` are the only escapes. */
function unescapeHelp(c: Cursor): string {
  let out = '';
  for (; !c.atEnd; c.pos++) {
    const ch = c.peek() as string;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = c.text[++c.pos];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else c.fail(`invalid escape sequence '\\${next ?? '\n'}'`);
  }
  return out;
}

/** A quoted label value after its opening quote; leaves the cursor after the closing quote. */
function unescapeLabelValue(c: Cursor): string {
  let out = '';
  for (;;) {
    const ch = c.peek();
    if (ch === undefined) c.fail(`label value ${JSON.stringify(out)} contains unescaped new-line`);
    c.pos++;
    if (ch === '"') return out;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = c.peek();
    c.pos++;
    if (next === '"' || next === '\\') out += next;
    else if (next === 'n') out += '\n';
    else c.fail(`invalid escape sequence '\\${next ?? '\n'}'`);
  }
}

/**
 * Parses a whole file. Families come in the order they were first named; families that only
 * had HELP or TYPE lines are dropped. Throws TextParseError naming the first bad line.
 */
export function parseTextFormat(text: string): TextFamily[] {
  const parser = new Parser();
  const lines = text.split('\n');
  const last = lines.pop() as string;
  lines.forEach((line, i) => parser.line(new Cursor(line, i + 1)));
  // expfmt reads to a newline; anything but blanks after the last one is a truncated line.
  if (!/^[ \t]*$/.test(last)) throw new TextParseError(lines.length + 1, 'unexpected end of input stream');
  return [...parser.families.values()].filter((f) => f.metrics.length > 0);
}
