/**
 * A small, strict parser of the Prometheus text format (0.0.4) and OpenMetrics 1.0, for tests
 * only: it turns a scrape body into families so tests compare structure and values instead of
 * bytes, and it throws on anything malformed so a truncated or garbled answer fails loudly.
 */

export interface ParsedSample {
  /** The sample's own name, e.g. `node_cpu_seconds_total` or `x_bucket`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** The value exactly as written, e.g. `3.831959552e+09`, to compare formatting. */
  readonly rawValue: string;
}

export interface ParsedFamily {
  readonly name: string;
  help: string | undefined;
  type: string;
  unit: string | undefined;
  readonly samples: ParsedSample[];
}

export type ParseFormat = 'text' | 'openmetrics';

/** Sample-name suffixes that belong to a family of the given type. */
const FAMILY_SUFFIXES: Record<ParseFormat, Record<string, readonly string[]>> = {
  text: { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] },
  openmetrics: {
    counter: ['_total', '_created'],
    histogram: ['_bucket', '_sum', '_count', '_created'],
    gaugehistogram: ['_bucket', '_gsum', '_gcount'],
    summary: ['_sum', '_count', '_created'],
    info: ['_info'],
  },
};

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NUMBER = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|NaN)$/;

export class ExpositionParseError extends Error {
  constructor(lineNumber: number, line: string, why: string) {
    super(`line ${lineNumber}: ${why}: ${JSON.stringify(line.length > 200 ? line.slice(0, 200) + '…' : line)}`);
  }
}

function unescapeText(s: string, quotes: boolean): string {
  return s.replace(/\\(.)/g, (whole, c: string) => {
    if (c === 'n') return '\n';
    if (c === '\\') return '\\';
    if (c === '"' && quotes) return '"';
    return whole;
  });
}

function parseValue(raw: string): number {
  if (!NUMBER.test(raw)) throw new Error(`bad value ${JSON.stringify(raw)}`);
  if (raw === 'NaN') return NaN;
  if (/^[+]?Inf$/.test(raw)) return Infinity;
  if (raw === '-Inf') return -Infinity;
  return Number(raw);
}

/** Reads `{a="x",b="y"}` starting at `start` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    if (line[i] === '}') return { labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq === -1) throw new Error('label without "="');
    const name = line.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`duplicate label ${name}`);
    if (line[eq + 1] !== '"') throw new Error(`label ${name}: value must be quoted`);
    let j = eq + 2;
    let value = '';
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\') {
        const c = line[++j];
        if (c === 'n') value += '\n';
        else if (c === '\\' || c === '"') value += c;
        else throw new Error(`label ${name}: bad escape \\${c ?? ''}`);
      } else value += line[j];
    }
    if (j >= line.length) throw new Error(`label ${name}: unterminated value`);
    labels[name] = value;
    i = j + 1;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new Error(`label ${name}: expected "," or "}"`);
  }
}

/**
 * Parses a whole exposition. Text format: every line ends with a newline. OpenMetrics: the last
 * line is `# EOF`. Throws ExpositionParseError naming the first bad line.
 */
export function parseExposition(body: string, format: ParseFormat = 'text'): ParsedFamily[] {
  const families = new Map<string, ParsedFamily>();
  const order: ParsedFamily[] = [];
  let current: ParsedFamily | undefined;
  const lines = body.split('\n');
  if (format === 'text') {
    if (body !== '' && !body.endsWith('\n')) {
      throw new ExpositionParseError(lines.length, lines.at(-1) ?? '', 'text exposition must end with a newline');
    }
    lines.pop();
  } else {
    if (lines.at(-1) === '') lines.pop();
    if (lines.at(-1) !== '# EOF') throw new ExpositionParseError(lines.length, lines.at(-1) ?? '', 'OpenMetrics must end with "# EOF"');
    lines.pop();
  }

  const declare = (name: string): ParsedFamily => {
    let f = families.get(name);
    if (f && f !== current) throw new Error(`family ${name} appears in two places`);
    if (!f) {
      f = { name, help: undefined, type: 'untyped', unit: undefined, samples: [] };
      families.set(name, f);
      order.push(f);
    }
    current = f;
    return f;
  };

  /** The family a sample belongs to: its own name, or a declared family it is a suffix of. */
  const familyOf = (sampleName: string): ParsedFamily => {
    if (current) {
      if (current.name === sampleName) return current;
      const suffixes = FAMILY_SUFFIXES[format][current.type] ?? [];
      if (suffixes.some((s) => sampleName === current!.name + s)) return current;
    }
    return declare(sampleName);
  };

  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    try {
      if (line.startsWith('#')) {
        const m = /^# (HELP|TYPE|UNIT) (\S+)(?: (.*))?$/.exec(line);
        if (!m) {
          if (format === 'openmetrics') throw new Error('unknown comment');
          return; // The text format allows free comments.
        }
        const [, keyword, name, rest = ''] = m as unknown as [string, string, string, string | undefined];
        if (!NAME.test(name)) throw new Error(`bad metric name ${JSON.stringify(name)}`);
        const f = declare(name);
        if (keyword === 'HELP') {
          if (f.help !== undefined) throw new Error(`second HELP for ${name}`);
          f.help = unescapeText(rest, format === 'openmetrics');
        } else if (keyword === 'TYPE') {
          if (f.samples.length > 0 || f.type !== 'untyped') throw new Error(`TYPE for ${name} after its samples or twice`);
          const types = format === 'openmetrics'
            ? ['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown']
            : ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
          if (!types.includes(rest)) throw new Error(`unknown type ${JSON.stringify(rest)}`);
          f.type = rest;
        } else {
          if (format !== 'openmetrics') throw new Error('UNIT is OpenMetrics only');
          f.unit = rest;
        }
        return;
      }
      if (line === '') {
        if (format === 'openmetrics') throw new Error('empty line');
        return;
      }
      const nameEnd = line.search(/[{ ]/);
      if (nameEnd <= 0) throw new Error('sample without value');
      const name = line.slice(0, nameEnd);
      if (!NAME.test(name)) throw new Error(`bad metric name ${JSON.stringify(name)}`);
      let labels: Record<string, string> = {};
      let rest = line.slice(nameEnd);
      if (rest.startsWith('{')) {
        const parsed = parseLabels(line, nameEnd);
        labels = parsed.labels;
        rest = line.slice(parsed.end);
      }
      if (!rest.startsWith(' ')) throw new Error('expected a space before the value');
      const parts = rest.slice(1).split(' ');
      if (parts.length < 1 || parts.length > 2 || parts[0] === '') throw new Error('expected "value [timestamp]"');
      const rawValue = parts[0] as string;
      const value = parseValue(rawValue);
      if (parts.length === 2 && !NUMBER.test(parts[1] as string)) throw new Error('bad timestamp');
      familyOf(name).samples.push({ name, labels, value, rawValue });
    } catch (err) {
      if (err instanceof ExpositionParseError) throw err;
      throw new ExpositionParseError(lineNumber, line, (err as Error).message);
    }
  });
  return order;
}

/** Families by name. */
export function byName(families: readonly ParsedFamily[]): Map<string, ParsedFamily> {
  return new Map(families.map((f) => [f.name, f]));
}

/** The value of a family's first sample (a probe's gauges have one). */
export function firstValue(families: ReadonlyMap<string, ParsedFamily>, name: string): number | undefined {
  return families.get(name)?.samples[0]?.value;
}

/** A series' identity: its sample name and its labels in name order, e.g. `x{a="1",b="2"}`. */
export function seriesKey(sample: ParsedSample): string {
  const pairs = Object.keys(sample.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(sample.labels[k])}`);
  return `${sample.name}{${pairs.join(',')}}`;
}
