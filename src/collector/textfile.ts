/**
 * node_exporter's textfile collector: serves the metrics of the `*.prom` files in
 * --collector.textfile.directory (a Go glob may name several directories), their mtimes, and
 * node_textfile_scrape_error. A file that cannot be read or parsed, or that has timestamps, is
 * skipped whole and sets the error gauge; the collector itself always succeeds.
 */
import type { FileHandle } from 'node:fs/promises';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatGoFloat } from '../exposition/go-float.js';
import { desc, isValidLabelName, type MetricDesc, type Sample } from '../exposition/model.js';
import { parseTextFormat, type TextFamily, type TextMetric } from '../exposition/text-parse.js';
import type { Logger } from '../log.js';
import type { CollectorFactory } from './collector.js';
import type { MetricSink } from './sink.js';

const mtimeDesc = desc('node_textfile_mtime_seconds', 'Unixtime mtime of textfiles successfully read.', 'gauge', ['file']);
const scrapeErrorDesc = desc(
  'node_textfile_scrape_error',
  '1 if there was an error opening or reading a file, 0 otherwise',
  'gauge',
);

interface ParsedFile {
  readonly file: string;
  readonly families: TextFamily[];
}

/** One served family, merged over the files that have it. */
interface MergedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: NonNullable<TextFamily['type']>;
  /** Series by their full label set; the first file to give a label set wins. */
  readonly series: Map<string, { labels: Record<string, string>; metric: TextMetric }>;
}

export const textfileCollector: CollectorFactory = {
  name: 'textfile',
  defaultEnabled: true,
  flags: [
    {
      name: 'collector.textfile.directory',
      kind: 'string',
      default: '',
      help: 'Directory to read text files with metrics from, supports glob matching.',
    },
  ],
  create: ({ flags, log }) => {
    const pattern = flags.string('collector.textfile.directory') ?? '';
    return {
      async update(sink, signal) {
        let errored = false;
        const parsed: ParsedFile[] = [];
        const mtimes = new Map<string, number>();
        // Like filepath.Glob in node_exporter: no match (or a bad pattern) means "the path itself".
        const dirs = await goGlob(pattern).catch(() => []);
        for (const dir of dirs.length > 0 ? dirs : [pattern]) {
          let names: string[];
          try {
            names = (await readdir(dir)).sort();
          } catch (err) {
            // The default, an empty directory flag, is "no textfiles" rather than an error.
            if (dir !== '') {
              errored = true;
              log.error('failed to read textfile collector directory', { path: dir, err });
            }
            continue;
          }
          for (const name of names.filter((n) => n.endsWith('.prom'))) {
            const file = path.join(dir, name);
            const result = await readPromFile(file, signal);
            signal.throwIfAborted();
            if (result.families) parsed.push({ file, families: result.families });
            if (result.error) {
              errored = true;
              log.error('failed to collect textfile data', { file: name, err: result.error });
            } else mtimes.set(file, result.mtimeSeconds as number);
          }
        }
        if (addFamilies(sink, parsed, log)) errored = true;
        for (const [file, mtime] of mtimes) sink.add(mtimeDesc, mtime, file);
        sink.add(scrapeErrorDesc, errored ? 1 : 0);
      },
    };
  },
};

/** node_exporter's processFile: families and mtime, or why the file is skipped (a stat failure keeps the families). */
async function readPromFile(
  file: string,
  signal: AbortSignal,
): Promise<{ families?: TextFamily[]; mtimeSeconds?: number; error?: string }> {
  let handle: FileHandle;
  try {
    handle = await open(file);
  } catch (err) {
    return { error: `failed to open textfile data file ${JSON.stringify(file)}: ${(err as Error).message}` };
  }
  try {
    let families: TextFamily[];
    try {
      // Go requires label values to be valid UTF-8; a fatal decoder refuses the file instead.
      const text = new TextDecoder('utf-8', { fatal: true }).decode(await handle.readFile({ signal }));
      families = parseTextFormat(text);
      const badLabel = families.flatMap((f) => f.metrics.flatMap((m) => m.labels)).find(([n]) => !isValidLabelName(n));
      // node_exporter panics on a reserved label name (`__x`); refusing the file is the safe reading.
      if (badLabel) throw new Error(`${JSON.stringify(badLabel[0])} is not a valid label name`);
    } catch (err) {
      signal.throwIfAborted();
      return { error: `failed to parse textfile data from ${JSON.stringify(file)}: ${(err as Error).message}` };
    }
    if (families.some((f) => f.metrics.some((m) => m.timestampMs !== undefined))) {
      return { error: `textfile ${JSON.stringify(file)} contains unsupported client-side timestamps, skipping entire file` };
    }
    // Stat only after a successful parse, so a broken file never looks fresh.
    try {
      const { mtimeNs } = await handle.stat({ bigint: true });
      return { families, mtimeSeconds: Number(mtimeNs / 1_000_000_000n) };
    } catch (err) {
      return { families, error: `failed to stat ${JSON.stringify(file)}: ${(err as Error).message}` };
    }
  } finally {
    await handle.close();
  }
}

/**
 * Merges the files' families as node_exporter and its registry do: the first file to name a
 * family fixes its help and type; a later file with another HELP is refused (and counts as a
 * scrape error), one with another type, or a repeated series, is dropped with a log line. A
 * family without HELP gets "Metric read from <files>". Returns whether a help conflict occurred.
 */
function addFamilies(sink: MetricSink, parsed: readonly ParsedFile[], log: Logger): boolean {
  let helpConflict = false;
  const helpOf = new Map<string, { help: string; conflicted: boolean }>();
  const filesOf = new Map<string, string[]>();
  const accepted: Array<{ file: string; family: TextFamily }> = [];
  for (const { file, families } of parsed) {
    for (const family of families) {
      const seen = helpOf.get(family.name);
      if (seen && (seen.conflicted || (family.help !== undefined && family.help !== seen.help))) {
        seen.conflicted = true;
        helpConflict = true;
        log.error('inconsistent metric help text', {
          metric: family.name,
          original_help_text: seen.help,
          new_help_text: family.help,
          file,
        });
        continue;
      }
      if (family.help !== undefined) helpOf.set(family.name, { help: family.help, conflicted: false });
      filesOf.set(family.name, [...(filesOf.get(family.name) ?? []), file]);
      accepted.push({ file, family });
    }
  }

  const merged = new Map<string, MergedFamily>();
  for (const { file, family } of accepted) {
    const help = family.help ?? `Metric read from ${(filesOf.get(family.name) ?? []).join(', ')}`;
    const type = family.type ?? 'untyped';
    let into = merged.get(family.name);
    if (!into) merged.set(family.name, (into = { name: family.name, help, type, series: new Map() }));
    else if (into.help !== help || into.type !== type) {
      log.error('textfile metric family has another help or type than in an earlier file; dropped', { metric: family.name, file });
      continue;
    }
    for (const [metric, labels] of withAllLabels(family)) {
      const key = JSON.stringify(sortedPairs(labels));
      if (into.series.has(key)) {
        log.error('textfile series collected twice; keeping the first', { metric: family.name, labels, file });
        continue;
      }
      into.series.set(key, { labels, metric });
    }
  }
  for (const family of merged.values()) addFamily(sink, family);
  return helpConflict;
}

/** Each metric's labels, with the family's other label names (within this file) set to "", as node_exporter does. */
function withAllLabels(family: TextFamily): Array<[TextMetric, Record<string, string>]> {
  const names = new Set(family.metrics.flatMap((m) => m.labels.map(([n]) => n)));
  return family.metrics.map((metric) => {
    const labels: Record<string, string> = Object.fromEntries([...names].map((n) => [n, '']));
    for (const [n, v] of metric.labels) labels[n] = v;
    return [metric, labels];
  });
}

function sortedPairs(labels: Record<string, string>): Array<[string, string]> {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** client_golang's series order: fewer labels first, then label values in label-name order. */
function compareSeries(a: Record<string, string>, b: Record<string, string>): number {
  const pa = sortedPairs(a);
  const pb = sortedPairs(b);
  if (pa.length !== pb.length) return pa.length - pb.length;
  for (let i = 0; i < pa.length; i++) {
    const va = (pa[i] as [string, string])[1];
    const vb = (pb[i] as [string, string])[1];
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return 0;
}

/** Last value per key wins, as when Go fills a map; sorted by key. */
function lastWinsSorted(pairs: ReadonlyArray<[number, number]>): Array<[number, number]> {
  return [...new Map(pairs)].sort(([a], [b]) => a - b);
}

function addFamily(sink: MetricSink, family: MergedFamily): void {
  const series = [...family.series.values()].sort((a, b) => compareSeries(a.labels, b.labels));
  const labelNames = [...new Set(series.flatMap((s) => Object.keys(s.labels)))].sort();
  const d: MetricDesc = desc(family.name, family.help, family.type, labelNames);
  const add = (suffix: string, labels: Record<string, string>, value: number): void =>
    sink.addSample(d, { suffix, labels, value } satisfies Sample);
  for (const { labels, metric } of series) {
    if (family.type === 'histogram') {
      const buckets = lastWinsSorted(metric.buckets);
      for (const [le, count] of buckets) add('_bucket', { ...labels, le: formatGoFloat(le) }, count);
      // The text format always ends a histogram with a +Inf bucket holding the count.
      if (buckets.at(-1)?.[0] !== Infinity) add('_bucket', { ...labels, le: '+Inf' }, metric.count ?? 0);
    } else if (family.type === 'summary') {
      for (const [q, v] of lastWinsSorted(metric.quantiles)) add('', { ...labels, quantile: formatGoFloat(q) }, v);
    } else {
      add('', labels, metric.value as number);
      continue;
    }
    add('_sum', labels, metric.sum ?? 0);
    add('_count', labels, metric.count ?? 0);
  }
}

const GLOB_META = /[*?[\\]/;

/** Go's filepath.Glob: matches sorted per directory; a path without metacharacters matches if it exists. */
async function goGlob(pattern: string): Promise<string[]> {
  const matchName = goMatcher(path.basename(pattern)); // Throws on a bad pattern, as Glob does.
  if (!GLOB_META.test(pattern)) return (await lstat(pattern).then(() => true, () => false)) ? [pattern] : [];
  const dirPart = pattern.slice(0, pattern.length - path.basename(pattern).length);
  const dir = dirPart === '' ? '.' : dirPart === '/' ? '/' : dirPart.replace(/\/+$/, '');
  const dirs = GLOB_META.test(dir) ? (dir === pattern ? [] : await goGlob(dir)) : [dir];
  const matches: string[] = [];
  for (const d of dirs) {
    if (!(await stat(d).then((s) => s.isDirectory(), () => false))) continue;
    const names = (await readdir(d).catch(() => [] as string[])).sort();
    for (const n of names) if (matchName(n)) matches.push(path.join(d, n));
  }
  return matches;
}

/** Go's filepath.Match for one path element, as a predicate; throws on a malformed pattern. */
function goMatcher(pattern: string): (name: string) => boolean {
  // In a `u` regex only syntax characters may be escaped, and `-` only inside a class.
  const escape = (c: string): string => c.replace(/[\\\]^$.*+?()[{}|/]/g, '\\$&');
  const escapeInClass = (c: string): string => (c === '-' ? '\\-' : escape(c));
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= pattern.length) throw new Error('syntax error in pattern');
      re += escape(pattern[++i] as string);
    } else if (c === '[') {
      let cls = '[';
      i++;
      if (pattern[i] === '^') (cls += '^'), i++;
      let ranges = 0;
      for (;;) {
        if (i >= pattern.length) throw new Error('syntax error in pattern');
        if (pattern[i] === ']' && ranges > 0) break;
        const one = (): string => {
          let ch = pattern[i];
          if (ch === undefined || ch === '-' || ch === ']') throw new Error('syntax error in pattern');
          if (ch === '\\') ch = pattern[++i];
          if (ch === undefined) throw new Error('syntax error in pattern');
          i++;
          return escapeInClass(ch);
        };
        cls += one();
        if (pattern[i] === '-') {
          i++;
          cls += '-' + one();
        }
        ranges++;
      }
      re += cls + ']';
    } else re += escape(c);
  }
  const compiled = new RegExp(`^${re}$`, 'su');
  return (name) => compiled.test(name);
}
