/**
 * Runs the enabled collectors for one scrape, all at once, each against its own deadline, and
 * merges what they produced. A collector that fails, times out or finds nothing is reported as
 * node_scrape_collector_success 0; everything else is served as usual.
 */
import { performance } from 'node:perf_hooks';
import { desc, type MetricFamily, type Sample } from '../exposition/model.js';
import type { Logger } from '../lib/log.js';
import type { Collector } from './collector.js';
import { MetricSink } from './sink.js';
import { NoDataError } from '../hostfs/errors.js';

const scrapeDuration = desc(
  'node_scrape_collector_duration_seconds',
  'node_exporter: Duration of a collector scrape.',
  'gauge',
  ['collector'],
);
const scrapeSuccess = desc('node_scrape_collector_success', 'node_exporter: Whether a collector succeeded.', 'gauge', [
  'collector',
]);

export class CollectorTimeoutError extends Error {
  override readonly name = 'CollectorTimeoutError';
}

export class NodeCollector {
  constructor(
    private readonly collectors: ReadonlyMap<string, Collector>,
    private readonly log: Logger,
  ) {}

  get names(): string[] {
    return [...this.collectors.keys()];
  }

  /** Runs the collectors named in `only` (all when undefined), each bounded by `timeoutMs`. */
  async collect(timeoutMs: number, only?: ReadonlySet<string>): Promise<MetricFamily[]> {
    const merged = new Map<string, MetricFamily>();
    const scrapeMeta = new MetricSink();
    // One deadline for the scrape: every collector started at once, so they share it, and a
    // collector still running when it passes is told to stop through the signal.
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new CollectorTimeoutError(`timed out after ${timeoutMs}ms`);
        abort.abort(err);
        reject(err);
      }, timeoutMs);
    });
    deadline.catch(() => {
      // Each collector's race reports it; this only keeps the rejection from counting as unhandled.
    });
    const runs: Promise<void>[] = [];
    for (const [name, collector] of this.collectors) {
      if (only && !only.has(name)) continue;
      runs.push(
        this.runOne(name, collector, abort.signal, deadline).then(({ sink, seconds, ok }) => {
          scrapeMeta.add(scrapeDuration, seconds, name);
          scrapeMeta.add(scrapeSuccess, ok ? 1 : 0, name);
          mergeInto(merged, sink, name, this.log);
        }),
      );
    }
    try {
      await Promise.all(runs);
    } finally {
      clearTimeout(timer);
    }
    mergeInto(merged, scrapeMeta, 'scrape', this.log);
    return [...merged.values()];
  }

  private async runOne(
    name: string,
    collector: Collector,
    signal: AbortSignal,
    deadline: Promise<never>,
  ): Promise<{ sink: MetricSink; seconds: number; ok: boolean }> {
    const sink = new MetricSink();
    const start = performance.now();
    let ok = true;
    try {
      await Promise.race([Promise.resolve().then(() => collector.update(sink, signal)), deadline]);
    } catch (err) {
      ok = false;
      const fields = { collector: name, duration_seconds: (performance.now() - start) / 1000, err };
      if (err instanceof NoDataError) this.log.debug('collector returned no data', fields);
      else this.log.error('collector failed', fields);
    } finally {
      sink.close();
    }
    return { sink, seconds: (performance.now() - start) / 1000, ok };
  }
}

/**
 * Merges a sink's families into the scrape's. Two collectors may share a family (same name,
 * help and type); a clash in help or type, or a repeated label set, is dropped and logged, as
 * client_golang refuses such series instead of serving something inconsistent.
 */
function mergeInto(merged: Map<string, MetricFamily>, sink: MetricSink, source: string, log: Logger): void {
  for (const family of sink.entries()) {
    const existing = merged.get(family.desc.name);
    if (!existing) {
      const samples = dedupe(family, source, log);
      // The sink is dropped after the merge: its family object is taken over when nothing was dropped.
      merged.set(family.desc.name, samples === family.samples ? family : { desc: family.desc, samples });
      continue;
    }
    if (existing.desc.help !== family.desc.help || existing.desc.type !== family.desc.type) {
      log.error('metric family collected twice with different help or type', { collector: source, metric: family.desc.name });
      continue;
    }
    existing.samples.push(...family.samples);
    const kept = dedupe(existing, source, log);
    if (kept !== existing.samples) existing.samples.splice(0, existing.samples.length, ...kept);
  }
}

/** Families up to this size are checked pair by pair, which needs no keys and no set. */
const PAIRWISE_UP_TO = 16;

/** Whether two samples are the same series: same part and exactly the same labels. */
function sameSeries(a: Sample, b: Sample): boolean {
  if (a.suffix !== b.suffix) return false;
  let count = 0;
  for (const k in a.labels) {
    if (!Object.prototype.hasOwnProperty.call(b.labels, k) || a.labels[k] !== b.labels[k]) return false;
    count++;
  }
  // Every label of a is in b: the same count means the same set.
  for (const k in b.labels) if (Object.prototype.hasOwnProperty.call(b.labels, k)) count--;
  return count === 0;
}

/** The family's samples without repeated series (the first kept); the same array when none repeats. */
function dedupe(family: MetricFamily, source: string, log: Logger): MetricFamily['samples'] {
  const samples = family.samples;
  if (samples.length < 2 || family.desc.type === 'histogram' || family.desc.type === 'summary') return samples;
  let out: Sample[] | undefined;
  const seen = samples.length > PAIRWISE_UP_TO ? new Set<string>() : undefined;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as Sample;
    let repeated = false;
    if (seen) {
      const key = seriesKey(family, s);
      repeated = seen.has(key);
      if (!repeated) seen.add(key);
    } else {
      for (let j = 0; j < i && !repeated; j++) repeated = sameSeries(samples[j] as Sample, s);
    }
    if (repeated) {
      log.error('series collected twice; keeping the first', { collector: source, metric: family.desc.name, labels: s.labels });
      out ??= samples.slice(0, i);
      continue;
    }
    out?.push(s);
  }
  return out ?? samples;
}

/** Values in the desc's label-name order identify a series; labels outside the desc are appended by name. */
function seriesKey(family: MetricFamily, s: Sample): string {
  const names = family.desc.labelNames;
  let key = s.suffix;
  for (let i = 0; i < names.length; i++) key += '\u0000' + (s.labels[names[i] as string] ?? '\u0001');
  for (const n in s.labels) if (!names.includes(n)) key += `\u0002${n}\u0000${s.labels[n]}`;
  return key;
}
