/**
 * Runs the enabled collectors for one scrape, all at once, against one deadline, and merges
 * what they produced. A collector that fails, times out or finds nothing is reported as
 * node_scrape_collector_success 0; everything else is served as usual.
 */
import { performance } from 'node:perf_hooks';
import { desc, type MetricFamily, type Sample } from '../exposition/model.js';
import { byName as byFamilyName } from '../exposition/text.js';
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

/** One collector's part in a scrape. */
interface Run {
  readonly name: string;
  readonly collector: Collector;
  readonly sink: MetricSink;
  readonly start: number;
  seconds: number;
  ok: boolean;
  /** Finished, failed or cut off at the deadline: what happens later is not reported. */
  ended: boolean;
}

/** The runs still going, and what to call when none is. */
interface Countdown {
  left: number;
  readonly done: () => void;
}

function byName<T extends readonly [string, unknown]>(a: T, b: T): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}


export class NodeCollector {
  /** The collectors by name, so that the scrape's own series come out already in order. */
  private readonly ordered: ReadonlyArray<readonly [string, Collector]>;
  /** Each collector's label set for the scrape's own series, built once. */
  private readonly labels: ReadonlyMap<string, Readonly<Record<string, string>>>;

  constructor(
    private readonly collectors: ReadonlyMap<string, Collector>,
    private readonly log: Logger,
  ) {
    this.ordered = [...collectors].sort(byName);
    this.labels = new Map([...collectors.keys()].map((name) => [name, Object.freeze({ collector: name })]));
  }

  get names(): string[] {
    return [...this.collectors.keys()];
  }

  /**
   * Runs the collectors named in `only` (all when undefined), each bounded by `timeoutMs`.
   * The families come out sorted by name.
   */
  async collect(timeoutMs: number, only?: ReadonlySet<string>): Promise<MetricFamily[]> {
    const runs: Run[] = [];
    // One deadline for the scrape: every collector started at once, so they share it. Those
    // still running when it passes are ended as timed out, and told to stop through the signal.
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        const err = new CollectorTimeoutError(`timed out after ${timeoutMs}ms`);
        abort.abort(err);
        for (const run of runs) this.end(run, false, err);
        resolve();
      }, timeoutMs);
      const countdown: Countdown = { left: 0, done: resolve };
      for (const [name, collector] of this.ordered) {
        if (only && !only.has(name)) continue;
        const run: Run = { name, collector, sink: new MetricSink(), start: performance.now(), seconds: 0, ok: true, ended: false };
        runs.push(run);
        countdown.left++;
        this.runOne(run, abort.signal, countdown);
      }
      // Runs settle in reactions, after this loop: none has counted down yet.
      if (countdown.left === 0) resolve();
    });
    clearTimeout(timer);
    const meta = new MetricSink();
    for (const run of runs) {
      const labels = this.labels.get(run.name) as Readonly<Record<string, string>>;
      meta.addWithLabels(scrapeDuration, labels, run.seconds);
      meta.addWithLabels(scrapeSuccess, labels, run.ok ? 1 : 0);
    }
    return new Merge(runs, meta, this.log).families();
  }

  /**
   * Starts one collector; how it ends is reported by `end`, never thrown. Two reactions on its
   * promise cost less than an async function's frame (the collectors' own work aside, about
   * 200 bytes a collector each scrape).
   */
  private runOne(run: Run, signal: AbortSignal, countdown: Countdown): void {
    let updating: Promise<void>;
    try {
      updating = Promise.resolve(run.collector.update(run.sink, signal));
    } catch (err) {
      updating = Promise.reject(err as Error);
    }
    updating.then(
      () => this.settle(run, true, undefined, countdown),
      (err: unknown) => this.settle(run, false, err, countdown),
    );
  }

  private settle(run: Run, ok: boolean, err: unknown, countdown: Countdown): void {
    try {
      this.end(run, ok, err);
    } finally {
      // Counted down whatever happens, so the scrape never waits for a run that ended.
      if (--countdown.left === 0) countdown.done();
    }
  }

  /** Ends a run once: closes its sink and notes (and logs) how it went. */
  private end(run: Run, ok: boolean, err: unknown): void {
    if (run.ended) return;
    run.ended = true;
    run.sink.close();
    run.seconds = (performance.now() - run.start) / 1000;
    run.ok = ok;
    if (ok) return;
    const fields = { collector: run.name, duration_seconds: run.seconds, err };
    if (err instanceof NoDataError) this.log.debug('collector returned no data', fields);
    else this.log.error('collector failed', fields);
  }
}

/**
 * Merges the collectors' families into the scrape's, sorted by name. Two collectors may share
 * a family (same name, help and type); a clash in help or type, or a repeated label set, is
 * dropped and logged, as client_golang refuses such series instead of serving something
 * inconsistent. Families are taken in the runs' order, the scrape's own last, so the first
 * of two repeated series is the one kept.
 */
class Merge {
  constructor(
    private readonly runs: readonly Run[],
    private readonly meta: MetricSink,
    private readonly log: Logger,
  ) {}

  families(): MetricFamily[] {
    let count = this.meta.entries().length;
    for (const run of this.runs) count += run.sink.entries().length;
    const all = new Array<MetricFamily>(count);
    let n = 0;
    for (const run of this.runs) for (const family of run.sink.entries()) all[n++] = family;
    for (const family of this.meta.entries()) all[n++] = family;
    // Stable: families of one name stay in the order they were taken in.
    all.sort(byFamilyName);
    let kept = 0;
    for (let i = 0; i < all.length; i++) {
      const family = all[i] as MetricFamily;
      const existing = kept > 0 ? all[kept - 1] : undefined;
      if (existing === undefined || existing.desc.name !== family.desc.name) {
        // The scrape's own series are one per collector, which has a unique name: nothing to check.
        const samples = this.isOwn(family) ? family.samples : this.dedupe(family, family);
        // The sink is dropped after the merge: its family object is taken over when nothing was dropped.
        all[kept++] = samples === family.samples ? family : { desc: family.desc, samples };
        continue;
      }
      if (existing.desc.help !== family.desc.help || existing.desc.type !== family.desc.type) {
        this.log.error('metric family collected twice with different help or type', { collector: this.sourceOf(family), metric: family.desc.name });
        continue;
      }
      existing.samples.push(...family.samples);
      const samples = this.dedupe(existing, family);
      if (samples !== existing.samples) existing.samples.splice(0, existing.samples.length, ...samples);
    }
    all.length = kept;
    return all;
  }

  private isOwn(family: MetricFamily): boolean {
    return this.meta.entries().includes(family);
  }

  /** The collector that produced `family`: looked up only to log a problem with it. */
  private sourceOf(family: MetricFamily): string {
    for (const run of this.runs) if (run.sink.entries().includes(family)) return run.name;
    return 'scrape';
  }

  /**
   * The family's samples without repeated series (the first kept); the same array when none
   * repeats. `from` is the family whose samples were added last, named in the log.
   */
  private dedupe(family: MetricFamily, from: MetricFamily): MetricFamily['samples'] {
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
        this.log.error('series collected twice; keeping the first', { collector: this.sourceOf(from), metric: family.desc.name, labels: s.labels });
        out ??= samples.slice(0, i);
        continue;
      }
      out?.push(s);
    }
    return out ?? samples;
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

/** Values in the desc's label-name order identify a series; labels outside the desc are appended by name. */
function seriesKey(family: MetricFamily, s: Sample): string {
  const names = family.desc.labelNames;
  let key = s.suffix;
  for (let i = 0; i < names.length; i++) key += '\u0000' + (s.labels[names[i] as string] ?? '\u0001');
  for (const n in s.labels) if (!names.includes(n)) key += `\u0002${n}\u0000${s.labels[n]}`;
  return key;
}
