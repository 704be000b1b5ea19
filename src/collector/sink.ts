import type { MetricDesc, MetricFamily, Sample } from '../exposition/model.js';

/** The labels of every series without labels: one shared object, frozen so that no one changes it. */
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** Above this many families, a sink finds a family through a map rather than by a scan. */
const SCAN_UP_TO = 64;

/**
 * Where a collector puts its series during one scrape. Once closed (the collector's deadline
 * passed), later additions are dropped, so a slow collector cannot write into a finished scrape.
 *
 * A scrape has some thirty sinks, most with a few families, so families are kept in an array
 * (a map is built only for a sink with many) and each family's array starts with its first
 * sample (an empty array grows to 17 slots at the first push, and most families have one series).
 */
export class MetricSink {
  private families: MetricFamily[] = [];
  private byName: Map<string, MetricFamily> | undefined;
  private closed = false;

  /** Adds one series; label values are given in the order of `desc.labelNames`. */
  add(d: MetricDesc, value: number, ...labelValues: string[]): void;
  add(d: MetricDesc, value: number): void {
    if (this.closed) return;
    // Read through `arguments` rather than a rest parameter: the rest array would be one more
    // allocation for each of a scrape's series.
    const count = arguments.length - 2;
    const names = d.labelNames;
    if (count !== names.length) {
      throw new Error(`${d.name}: ${count} label values for ${names.length} label names`);
    }
    let labels: Record<string, string>;
    if (count === 0) labels = NO_LABELS;
    else {
      labels = {};
      for (let i = 0; i < count; i++) labels[names[i] as string] = arguments[i + 2] as string;
    }
    this.push(d, { suffix: '', labels, value });
  }

  /**
   * Adds one series with a label set the caller built: one set shared by a device's series
   * instead of one each, or labels `d` does not declare (a power supply's info).
   */
  addWithLabels(d: MetricDesc, labels: Readonly<Record<string, string>>, value: number): void {
    if (this.closed) return;
    this.push(d, { suffix: '', labels, value });
  }

  /** Adds a pre-built sample (histogram parts, or labels not known at declaration time). */
  addSample(d: MetricDesc, sample: Sample): void {
    if (this.closed) return;
    this.push(d, sample);
  }

  close(): void {
    this.closed = true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The families, in the order of their first series. */
  entries(): readonly MetricFamily[] {
    return this.families;
  }

  private push(d: MetricDesc, sample: Sample): void {
    const f = this.familyOf(d.name);
    if (f) {
      f.samples.push(sample);
      return;
    }
    const created: MetricFamily = { desc: d, samples: [sample] };
    // The first family gets an array of one: a push to an empty array makes room for 17.
    if (this.families.length === 0) this.families = [created];
    else this.families.push(created);
    if (this.byName) this.byName.set(d.name, created);
    else if (this.families.length > SCAN_UP_TO) this.byName = new Map(this.families.map((x) => [x.desc.name, x]));
  }

  private familyOf(name: string): MetricFamily | undefined {
    if (this.byName) return this.byName.get(name);
    const families = this.families;
    // From the end: a collector mostly adds to the family it added to last.
    for (let i = families.length - 1; i >= 0; i--) if ((families[i] as MetricFamily).desc.name === name) return families[i];
    return undefined;
  }
}
