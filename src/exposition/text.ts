/**
 * The Prometheus text format (0.0.4) and OpenMetrics 1.0, written the way client_golang's
 * expfmt writes them, so that our output can be diffed line for line against node_exporter's.
 */
import { ByteWriter } from './byte-writer.js';
import type { MetricFamily, Sample } from './model.js';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores';

export type ExpositionFormat = 'text' | 'openmetrics';

/** Picks OpenMetrics only when the scraper asks for it, as client_golang's Negotiate does. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'text';
  for (const part of accept.split(',')) {
    const [mediaType, ...params] = part.trim().split(';').map((s) => s.trim());
    if (mediaType !== 'application/openmetrics-text') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    const version = params.find((p) => p.startsWith('version='))?.slice('version='.length);
    if (version === undefined || version === '1.0.0' || version === '0.0.1') return 'openmetrics';
  }
  return 'text';
}

export function contentTypeOf(format: ExpositionFormat): string {
  return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
}

/** The family's label names, sorted; samples added through MetricSink.add have exactly these. */
function familyShape(family: MetricFamily): readonly string[] {
  const names = family.desc.labelNames;
  let sorted = true;
  for (let i = 1; i < names.length && sorted; i++) sorted = (names[i - 1] as string) < (names[i] as string);
  if (sorted) return names;
  const copy = [...names];
  insertionSort(copy, (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return copy;
}

/**
 * Sorts in place, stably. V8's Array.prototype.sort allocates about 1 KB of working state per
 * call, which adds up over a scrape's hundreds of short arrays; long ones still go to it.
 */
function insertionSort<T>(items: T[], compare: (a: T, b: T) => number): void {
  if (items.length > 32) {
    items.sort(compare);
    return;
  }
  for (let i = 1; i < items.length; i++) {
    const item = items[i] as T;
    let j = i - 1;
    while (j >= 0 && compare(items[j] as T, item) > 0) {
      items[j + 1] = items[j] as T;
      j--;
    }
    items[j + 1] = item;
  }
}

/** Whether a sample's labels are exactly `names`, plus `extra` others (checked without allocating). */
function hasShape(sample: Sample, names: readonly string[], extra = 0): boolean {
  let count = 0;
  for (const k in sample.labels) {
    if (!Object.prototype.hasOwnProperty.call(sample.labels, k)) continue;
    count++;
  }
  if (count !== names.length + extra) return false;
  for (let i = 0; i < names.length; i++) if (!((names[i] as string) in sample.labels)) return false;
  return true;
}

/** Whether a sample's labels are exactly `names` plus `last`. */
function hasShapeAnd(sample: Sample, names: readonly string[], last: string): boolean {
  return last in sample.labels && hasShape(sample, names, 1);
}

/** A family's shape followed by `le` or `quantile`, built at its first use. */
interface WithLast {
  le?: readonly string[];
  quantile?: readonly string[];
}

/**
 * A sample's label names in written order: sorted, with `le`/`quantile` last, as expfmt does.
 * `withLast` holds the family's shape followed by `le` or `quantile`, built once per family
 * (for histograms and summaries; anywhere else such a label is rare, and built each time).
 */
function labelOrder(sample: Sample, shape: readonly string[], withLast: WithLast | undefined, shapeHasQuantile: boolean): readonly string[] {
  // Most samples: a plain series with exactly the family's labels. Checked first, because asking
  // a label set for a label it lacks ('quantile' below) allocates once the site has seen many
  // shapes of label set (V8's megamorphic lookup of a missing property), about 40 bytes a sample.
  if (!shapeHasQuantile && sample.suffix === '' && hasShape(sample, shape)) return shape;
  const last = sample.suffix === '_bucket' ? 'le' : sample.suffix === '' && 'quantile' in sample.labels ? 'quantile' : undefined;
  if (last === undefined) {
    if (hasShape(sample, shape)) return shape;
  } else if (hasShapeAnd(sample, shape, last)) {
    return withLast === undefined ? [...shape, last] : (withLast[last] ??= [...shape, last]);
  }
  const keys = Object.keys(sample.labels).sort();
  if (last === undefined || !(last in sample.labels)) return keys;
  return [...keys.filter((k) => k !== last), last];
}

function compareBy(names: readonly string[], a: Sample, b: Sample): number {
  for (let i = 0; i < names.length; i++) {
    const n = names[i] as string;
    const va = a.labels[n] as string;
    const vb = b.labels[n] as string;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return 0;
}

function allHaveShape(samples: readonly Sample[], shape: readonly string[]): boolean {
  for (let i = 0; i < samples.length; i++) if (!hasShape(samples[i] as Sample, shape)) return false;
  return true;
}

/** Sorts samples of one shape in place by their values in `names` order, stably (insertionSort's, without a closure). */
function sortByLabels(items: Sample[], names: readonly string[]): void {
  if (items.length > 32) {
    items.sort((a, b) => compareBy(names, a, b));
    return;
  }
  for (let i = 1; i < items.length; i++) {
    const item = items[i] as Sample;
    let j = i - 1;
    while (j >= 0 && compareBy(names, items[j] as Sample, item) > 0) {
      items[j + 1] = items[j] as Sample;
      j--;
    }
    items[j + 1] = item;
  }
}

/** Whether every sample has exactly `shape` and they are already in order (collectors mostly add them so). */
function inOrder(samples: readonly Sample[], shape: readonly string[]): boolean {
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as Sample;
    if (!hasShape(s, shape)) return false;
    if (i > 0 && compareBy(shape, samples[i - 1] as Sample, s) > 0) return false;
  }
  return true;
}

/**
 * client_golang's MetricSorter: fewer labels first, then label values compared in label-name
 * order (as strings, so cpu="10" sorts before cpu="2"). Histogram and summary parts keep the
 * order they were produced in. The family's own array is returned when already in order.
 */
export function sortSamples(family: MetricFamily, shape: readonly string[] = familyShape(family)): readonly Sample[] {
  const { desc, samples } = family;
  if (desc.type === 'histogram' || desc.type === 'summary' || samples.length < 2) return samples;
  if (inOrder(samples, shape)) return samples;
  if (allHaveShape(samples, shape)) {
    const sorted = samples.slice();
    sortByLabels(sorted, shape);
    return sorted;
  }
  const keyed = samples.map((sample) => ({ sample, names: Object.keys(sample.labels).sort() }));
  keyed.sort((a, b) => {
    if (a.names.length !== b.names.length) return a.names.length - b.names.length;
    for (let i = 0; i < a.names.length; i++) {
      const va = a.sample.labels[a.names[i] as string] as string;
      const vb = b.sample.labels[b.names[i] as string] as string;
      if (va !== vb) return va < vb ? -1 : 1;
    }
    return 0;
  });
  return keyed.map((k) => k.sample);
}

/**
 * expfmt's value formatting: 0, 1, -1, NaN and infinities spelled out, otherwise
 * strconv.FormatFloat(v, 'g', -1, 64) (formatGoFloat); OpenMetrics floats always carry a '.'
 * or an exponent (writeOpenMetricsFloat).
 */
function writeValue(out: ByteWriter, v: number, openMetrics: boolean): void {
  // Integers below 1e6 in magnitude, most samples, are written in full by 'g'.
  if (Number.isInteger(v) && v > -1e6 && v < 1e6) {
    if (v < 0) out.byte(0x2d /* - */);
    // As an int32, which is passed without boxing a double (|v| < 1e6, so exact).
    out.integer(Math.abs(v) | 0);
    if (openMetrics) out.text('.0');
    return;
  }
  if (Number.isNaN(v)) out.text('NaN');
  else if (v === Infinity) out.text('+Inf');
  else if (v === -Infinity) out.text('-Inf');
  else {
    const start = out.length;
    out.shortestG(v);
    if (openMetrics && !hasPointOrExponent(out.bytes(), start)) out.text('.0');
  }
}

function hasPointOrExponent(bytes: Buffer, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] === 0x2e /* . */ || bytes[i] === 0x65 /* e */) return true;
  return false;
}

/** Appends one family's samples; `name` is the metric name without the part suffix. */
function writeSamples(out: ByteWriter, name: string, family: MetricFamily, openMetrics: boolean): void {
  const shape = familyShape(family);
  const samples = sortSamples(family, shape);
  const withLast: WithLast | undefined = family.desc.type === 'histogram' || family.desc.type === 'summary' ? {} : undefined;
  const shapeHasQuantile = shape.includes('quantile');
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i] as Sample;
    out.text(name);
    out.text(sample.suffix);
    const keys = labelOrder(sample, shape, withLast, shapeHasQuantile);
    if (keys.length > 0) {
      let sep = 0x7b; // {
      for (let j = 0; j < keys.length; j++) {
        const k = keys[j] as string;
        out.byte(sep);
        out.text(k);
        out.text('="');
        out.escaped(sample.labels[k] as string, true);
        out.byte(QUOTE);
        sep = 0x2c; // ,
      }
      out.byte(0x7d); // }
    }
    out.byte(0x20);
    writeValue(out, sample.value, openMetrics);
    out.byte(0x0a);
  }
}

const QUOTE = 0x22;

export function byName(a: MetricFamily, b: MetricFamily): number {
  return a.desc.name < b.desc.name ? -1 : a.desc.name > b.desc.name ? 1 : 0;
}

/** The families in name order: an array already in order as it is, anything else sorted into a copy (stably). */
function inNameOrder(families: Iterable<MetricFamily>): readonly MetricFamily[] {
  if (Array.isArray(families)) {
    const list = families as readonly MetricFamily[];
    let sorted = true;
    for (let i = 1; i < list.length && sorted; i++) sorted = byName(list[i - 1] as MetricFamily, list[i] as MetricFamily) <= 0;
    if (sorted) return list;
  }
  return [...families].sort(byName);
}

/** Two lists each in name order, merged into one in name order (of equal names, `a`'s first). */
export function mergeByName(a: readonly MetricFamily[], b: readonly MetricFamily[]): MetricFamily[] {
  const out = new Array<MetricFamily>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = byName(b[j] as MetricFamily, a[i] as MetricFamily) < 0 ? (b[j++] as MetricFamily) : (a[i++] as MetricFamily);
  while (i < a.length) out[k++] = a[i++] as MetricFamily;
  while (j < b.length) out[k++] = b[j++] as MetricFamily;
  return out;
}

/** Writes families sorted by name; families without samples are left out, as client_golang does. */
function encodeText(families: Iterable<MetricFamily>, out: ByteWriter): void {
  for (const family of inNameOrder(families)) {
    if (family.samples.length === 0) continue;
    const { name, help, type } = family.desc;
    out.text('# HELP ');
    out.text(name);
    out.byte(0x20);
    out.escaped(help, false);
    out.text('\n# TYPE ');
    out.text(name);
    out.byte(0x20);
    out.text(type);
    out.byte(0x0a);
    writeSamples(out, name, family, false);
  }
}

function encodeOpenMetrics(families: Iterable<MetricFamily>, out: ByteWriter): void {
  for (const family of inNameOrder(families)) {
    if (family.samples.length === 0) continue;
    const { name, help, type } = family.desc;
    const isCounter = type === 'counter';
    const familyName = isCounter && name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
    out.text('# HELP ');
    out.text(familyName);
    out.byte(0x20);
    out.escaped(help, true);
    out.text('\n# TYPE ');
    out.text(familyName);
    out.byte(0x20);
    out.text(type === 'untyped' ? 'unknown' : type);
    out.byte(0x0a);
    writeSamples(out, isCounter ? familyName + '_total' : name, family, true);
  }
  out.text('# EOF\n');
}

/**
 * The scrape body as UTF-8 bytes, written straight into one buffer. `capacityHint` (e.g. the
 * previous body's size) saves the buffer's regrowth.
 */
export function encodeFormat(format: ExpositionFormat, families: Iterable<MetricFamily>, capacityHint?: number): Buffer {
  const out = new ByteWriter(capacityHint);
  if (format === 'openmetrics') encodeOpenMetrics(families, out);
  else encodeText(families, out);
  return out.bytes();
}

export function writeText(families: Iterable<MetricFamily>): string {
  return encodeFormat('text', families).toString('utf8');
}

export function writeOpenMetrics(families: Iterable<MetricFamily>): string {
  return encodeFormat('openmetrics', families).toString('utf8');
}

export function writeFormat(format: ExpositionFormat, families: Iterable<MetricFamily>): string {
  return encodeFormat(format, families).toString('utf8');
}
