/**
 * node_exporter's textfile collector: serves the metrics of the `*.prom` files in
 * --collector.textfile.directory (a Go glob may name several directories), their mtimes, and
 * node_textfile_scrape_error. A file that cannot be read or parsed, that has timestamps, that is
 * not a regular file (a FIFO, a symlink to /dev/zero) or that is over the size limits is skipped
 * whole and sets the error gauge; the other files are served and the collector itself succeeds.
 *
 * The files are read in a worker thread (textfile/read-dir.ts), synchronously: fast for
 * thousands of small files, and a read that hangs (a textfile on a dead NFS mount) blocks that
 * worker, not the event loop or libuv's thread pool; the directory is then reported as failed,
 * at once, until the read returns. Parsing and merging happen here.
 */
import { defineFlag } from '../cli/flags.js';
import { TextDecoder } from 'node:util';
import { formatGoFloat } from '../gocompat/go-float.js';
import { desc, isValidLabelName, type MetricDesc, type Sample } from '../exposition/model.js';
import { parseTextFormat, type TextFamily, type TextMetric } from '../exposition/text-parse.js';
import type { Logger } from '../lib/log.js';
import type { TextfileEntry, TextfileLimits, TextfileListing, TextfileRequest } from '../textfile/read-dir.js';
import type { TextfileReply } from '../textfile/read-worker.js';
import { WorkerCallPool } from '../lib/worker-pool.js';
import type { Collector, CollectorFactory } from './collector.js';
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

/**
 * The most read of one textfile, and of all of them in one scrape: far above what textfiles
 * hold, far below what would hurt the process (parsed series take several times their text).
 */
const DIRECTORY_FLAG = defineFlag({
  name: 'collector.textfile.directory',
  kind: 'string',
  default: '',
  help: 'Directory to read text files with metrics from, supports glob matching.',
});

export const TEXTFILE_LIMITS: TextfileLimits = { maxFileBytes: 16 * 1024 * 1024, maxScrapeBytes: 64 * 1024 * 1024 };

/** A directory read running this long is stuck: reported failed at once until it returns. */
const STUCK_AFTER_MS = 5000;
const WORKER_URL = new URL('../textfile/read-worker.js', import.meta.url);
type Reader = WorkerCallPool<TextfileRequest, TextfileReply>;

/** The textfile collector with other limits (tests use small ones). */
export function textfileCollectorWith(limits: TextfileLimits): CollectorFactory {
  return {
    name: 'textfile',
    defaultEnabled: true,
    flags: [
      DIRECTORY_FLAG,
    ],
    create: ({ flags, log }) => createTextfile(flags.get(DIRECTORY_FLAG), limits, log),
  };
}

export const textfileCollector: CollectorFactory = textfileCollectorWith(TEXTFILE_LIMITS);

function createTextfile(pattern: string, limits: TextfileLimits, log: Logger): Collector {
  const request: TextfileRequest = { pattern, ...limits };
  // The default, an empty directory flag, is "no textfiles": no worker for it.
  const reader = pattern === '' ? undefined : startReader(log);
  return {
    close: () => reader?.close(),
    async update(sink, signal) {
      let errored = false;
      const parsed: ParsedFile[] = [];
      const mtimes = new Map<string, number>();
      const listing = reader ? await readListing(reader, request, signal, log) : EMPTY_LISTING;
      if (!listing) errored = true;
      for (const { path, error } of listing?.dirErrors ?? []) {
        errored = true;
        log.error('failed to read textfile collector directory', { path, err: error });
      }
      // Go requires label values to be valid UTF-8; a fatal decoder refuses the file instead.
      const decoder = new TextDecoder('utf-8', { fatal: true });
      for (const entry of listing?.files ?? []) {
        signal.throwIfAborted();
        const result = entry.error === undefined ? parsePromFile(entry, (listing as TextfileListing).data, decoder) : { error: entry.error };
        if (result.families) parsed.push({ file: entry.file, families: result.families });
        if (result.error) {
          errored = true;
          log.error('failed to collect textfile data', { file: entry.name, err: result.error });
        } else mtimes.set(entry.file, entry.mtimeSeconds as number);
      }
      if (addFamilies(sink, parsed, log)) errored = true;
      for (const [file, mtime] of mtimes) sink.add(mtimeDesc, mtime, file);
      sink.add(scrapeErrorDesc, errored ? 1 : 0);
    },
  };
}

const EMPTY_LISTING: TextfileListing = { dirErrors: [], files: [], data: new Uint8Array(0) };

function startReader(log: Logger): Reader {
  const reader: Reader = new WorkerCallPool({
    name: 'textfile',
    workers: 1,
    maxStuckWorkers: 2,
    stuckAfterMs: STUCK_AFTER_MS,
    log,
    workerUrl: WORKER_URL,
    // File contents are moved out as one buffer, outside the heap; names and entries are small.
    resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
    messages: {
      stuck: 'reading the textfile directory has not finished; reporting it as failed until it does',
      recovered: 'reading the textfile directory finished again; it is read on the next scrape',
      tooManyStuck: 'too many textfile directory reads are hung; hung workers are no longer replaced',
      exitingWhileStuck: 'exiting while textfile reads are hung; ending the process by signal',
      timeoutField: 'timeout_seconds',
    },
  });
  reader.warmUp();
  return reader;
}

/** The directory's files, or undefined (logged) when its read is stuck or failed. */
async function readListing(reader: Reader, request: TextfileRequest, signal: AbortSignal, log: Logger): Promise<TextfileListing | undefined> {
  const reply = (await reader.callAll([[request.pattern, request]], signal)).get(request.pattern);
  signal.throwIfAborted();
  if (reply === undefined) {
    const hung = reader.stuckSeconds(request.pattern) ?? 0;
    log.error('failed to read textfile collector directory', {
      path: request.pattern,
      err: `an earlier read has not returned for ${hung.toFixed(1)}s (a hung mount?); not read again until it does`,
    });
    return undefined;
  }
  if ('failure' in reply) {
    log.error('failed to read textfile collector directory', { path: request.pattern, err: reply.failure });
    return undefined;
  }
  return reply;
}

/** node_exporter's processFile on bytes already read: families, or why the file is skipped. */
function parsePromFile(entry: TextfileEntry, data: Uint8Array, decoder: TextDecoder): { families?: TextFamily[]; error?: string } {
  const file = JSON.stringify(entry.file);
  let families: TextFamily[];
  try {
    const offset = entry.offset as number;
    families = parseTextFormat(decoder.decode(data.subarray(offset, offset + (entry.length as number))));
    const badLabel = families.flatMap((f) => f.metrics.flatMap((m) => m.labels)).find(([n]) => !isValidLabelName(n));
    // node_exporter panics on a reserved label name (`__x`); refusing the file is the safe reading.
    if (badLabel) throw new Error(`${JSON.stringify(badLabel[0])} is not a valid label name`);
  } catch (err) {
    return { error: `failed to parse textfile data from ${file}: ${(err as Error).message}` };
  }
  if (families.some((f) => f.metrics.some((m) => m.timestampMs !== undefined))) {
    return { error: `textfile ${file} contains unsupported client-side timestamps, skipping entire file` };
  }
  return { families };
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
