/**
 * The Prometheus text format (0.0.4) and OpenMetrics 1.0, written the way client_golang's
 * expfmt writes them, so that our output can be diffed line for line against node_exporter's.
 */
import { formatGoFloat } from '../gocompat/go-float.js';
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

function escapeHelp(s: string, quotes: boolean): string {
  let out = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  if (quotes) out = out.replace(/"/g, '\\"');
  return out;
}

const NEEDS_ESCAPE = /[\\"\n]/;

function escapeLabelValue(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** The family's label names, sorted; samples added through MetricSink.add have exactly these. */
function familyShape(family: MetricFamily): string[] {
  return [...family.desc.labelNames].sort();
}

/** Whether a sample's labels are exactly `names` (checked without allocating). */
function hasShape(sample: Sample, names: readonly string[]): boolean {
  let count = 0;
  for (const k in sample.labels) {
    if (!Object.prototype.hasOwnProperty.call(sample.labels, k)) continue;
    count++;
  }
  if (count !== names.length) return false;
  for (const n of names) if (!(n in sample.labels)) return false;
  return true;
}

/** A sample's label names in written order: sorted, with `le`/`quantile` last, as expfmt does. */
function labelOrder(sample: Sample, shape: readonly string[]): readonly string[] {
  const last = sample.suffix === '_bucket' ? 'le' : sample.suffix === '' && 'quantile' in sample.labels ? 'quantile' : undefined;
  if (last === undefined && hasShape(sample, shape)) return shape;
  const keys = Object.keys(sample.labels).sort();
  if (last === undefined || !(last in sample.labels)) return keys;
  return [...keys.filter((k) => k !== last), last];
}

function compareBy(names: readonly string[], a: Sample, b: Sample): number {
  for (const n of names) {
    const va = a.labels[n] as string;
    const vb = b.labels[n] as string;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return 0;
}

/**
 * client_golang's MetricSorter: fewer labels first, then label values compared in label-name
 * order (as strings, so cpu="10" sorts before cpu="2"). Histogram and summary parts keep the
 * order they were produced in.
 */
export function sortSamples(family: MetricFamily, shape: readonly string[] = familyShape(family)): Sample[] {
  const { desc, samples } = family;
  if (desc.type === 'histogram' || desc.type === 'summary' || samples.length < 2) return samples;
  if (samples.every((s) => hasShape(s, shape))) return [...samples].sort((a, b) => compareBy(shape, a, b));
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

/** OpenMetrics floats always carry a '.' or an exponent (expfmt's writeOpenMetricsFloat). */
function formatOpenMetricsFloat(v: number): string {
  const s = formatGoFloat(v);
  return /[.eIN]/.test(s) ? s : s + '.0';
}

/** Appends one family's samples; string concatenation keeps a large scrape free of per-line arrays. */
function writeSamples(name: string, family: MetricFamily, fmt: (v: number) => string): string {
  const shape = familyShape(family);
  let out = '';
  for (const sample of sortSamples(family, shape)) {
    out += name + sample.suffix;
    const keys = labelOrder(sample, shape);
    if (keys.length > 0) {
      let sep = '{';
      for (const k of keys) {
        out += sep + k + '="' + escapeLabelValue(sample.labels[k] as string) + '"';
        sep = ',';
      }
      out += '}';
    }
    out += ' ' + fmt(sample.value) + '\n';
  }
  return out;
}

function byName(a: MetricFamily, b: MetricFamily): number {
  return a.desc.name < b.desc.name ? -1 : a.desc.name > b.desc.name ? 1 : 0;
}

/** Writes families sorted by name; families without samples are left out, as client_golang does. */
export function writeText(families: Iterable<MetricFamily>): string {
  let out = '';
  for (const family of [...families].sort(byName)) {
    if (family.samples.length === 0) continue;
    const { name, help, type } = family.desc;
    out += `# HELP ${name} ${escapeHelp(help, false)}\n# TYPE ${name} ${type}\n`;
    out += writeSamples(name, family, formatGoFloat);
  }
  return out;
}

export function writeOpenMetrics(families: Iterable<MetricFamily>): string {
  let out = '';
  for (const family of [...families].sort(byName)) {
    if (family.samples.length === 0) continue;
    const { name, help, type } = family.desc;
    const isCounter = type === 'counter';
    const familyName = isCounter && name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
    out += `# HELP ${familyName} ${escapeHelp(help, true)}\n# TYPE ${familyName} ${type === 'untyped' ? 'unknown' : type}\n`;
    out += writeSamples(isCounter ? familyName + '_total' : name, family, formatOpenMetricsFloat);
  }
  return out + '# EOF\n';
}

export function writeFormat(format: ExpositionFormat, families: Iterable<MetricFamily>): string {
  return format === 'openmetrics' ? writeOpenMetrics(families) : writeText(families);
}
