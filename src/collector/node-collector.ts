/**
 * Runs the enabled collectors for one scrape, all at once, each against its own deadline, and
 * merges what they produced. A collector that fails, times out or finds nothing is reported as
 * node_scrape_collector_success 0; everything else is served as usual.
 */
import { performance } from 'node:perf_hooks';
import { desc, type MetricFamily } from '../exposition/model.js';
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
      merged.set(family.desc.name, { desc: family.desc, samples: dedupe(family, source, log) });
      continue;
    }
    if (existing.desc.help !== family.desc.help || existing.desc.type !== family.desc.type) {
      log.error('metric family collected twice with different help or type', { collector: source, metric: family.desc.name });
      continue;
    }
    existing.samples.push(...family.samples);
    existing.samples.splice(0, existing.samples.length, ...dedupe(existing, source, log));
  }
}

function dedupe(family: MetricFamily, source: string, log: Logger): MetricFamily['samples'] {
  if (family.samples.length < 2 || family.desc.type === 'histogram' || family.desc.type === 'summary') {
    return family.samples;
  }
  const names = [...family.desc.labelNames].sort();
  const seen = new Set<string>();
  const out: MetricFamily['samples'] = [];
  for (const s of family.samples) {
    // Values in label-name order identify a series; labels outside the desc are appended by name.
    let key = s.suffix;
    for (const n of names) key += '\u0000' + (s.labels[n] ?? '\u0001');
    for (const n in s.labels) if (!family.desc.labelNames.includes(n)) key += `\u0002${n}\u0000${s.labels[n]}`;
    if (seen.has(key)) {
      log.error('series collected twice; keeping the first', { collector: source, metric: family.desc.name, labels: s.labels });
      continue;
    }
    seen.add(key);
    out.push(s);
  }
  return out;
}
