import type { MetricDesc, MetricFamily, Sample } from '../exposition/model.js';

/**
 * Where a collector puts its series during one scrape. Once closed (the collector's deadline
 * passed), later additions are dropped, so a slow collector cannot write into a finished scrape.
 */
export class MetricSink {
  private readonly families = new Map<string, MetricFamily>();
  private closed = false;

  /** Adds one series; label values are given in the order of `desc.labelNames`. */
  add(d: MetricDesc, value: number, ...labelValues: string[]): void {
    if (this.closed) return;
    if (labelValues.length !== d.labelNames.length) {
      throw new Error(`${d.name}: ${labelValues.length} label values for ${d.labelNames.length} label names`);
    }
    const labels: Record<string, string> = {};
    for (let i = 0; i < labelValues.length; i++) labels[d.labelNames[i] as string] = labelValues[i] as string;
    this.familyOf(d).samples.push({ suffix: '', labels, value });
  }

  /** Adds a pre-built sample (histogram parts, or labels not known at declaration time). */
  addSample(d: MetricDesc, sample: Sample): void {
    if (this.closed) return;
    this.familyOf(d).samples.push(sample);
  }

  close(): void {
    this.closed = true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  entries(): IterableIterator<MetricFamily> {
    return this.families.values();
  }

  private familyOf(d: MetricDesc): MetricFamily {
    let f = this.families.get(d.name);
    if (!f) {
      f = { desc: d, samples: [] };
      this.families.set(d.name, f);
    }
    return f;
  }
}
