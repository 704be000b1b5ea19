/**
 * The Prometheus text format (0.0.4) and OpenMetrics 1.0, written the way client_golang's
 * expfmt writes them, so that our output can be diffed line for line against node_exporter's.
 */
import { formatGoFloat } from './go-float.js';
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

function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** A sample's label values in the order of its own sorted label names (client_golang's LabelPair order). */
function sortedValues(sample: Sample): string[] {
  return Object.keys(sample.labels)
    .sort()
    .map((k) => sample.labels[k] as string);
}

/**
 * client_golang's MetricSorter: fewer labels first, then label values compared in label-name
 * order (as strings, so cpu="10" sorts before cpu="2"). Histogram and summary parts keep the
 * order they were produced in.
 */
export function sortSamples(family: MetricFamily): Sample[] {
  const { desc, samples } = family;
  if (desc.type === 'histogram' || desc.type === 'summary' || samples.length < 2) return samples;
  const keyed = samples.map((sample) => ({ sample, values: sortedValues(sample) }));
  keyed.sort((a, b) => {
    if (a.values.length !== b.values.length) return a.values.length - b.values.length;
    for (let i = 0; i < a.values.length; i++) {
      const va = a.values[i] as string;
      const vb = b.values[i] as string;
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

/** `le` and `quantile` are written after the family's own labels, as expfmt does. */
function labelOrder(sample: Sample): string[] {
  const keys = Object.keys(sample.labels).sort();
  const last = sample.suffix === '_bucket' ? 'le' : sample.suffix === '' && 'quantile' in sample.labels ? 'quantile' : undefined;
  if (last === undefined || !(last in sample.labels)) return keys;
  return [...keys.filter((k) => k !== last), last];
}

function writeSample(out: string[], name: string, sample: Sample, fmt: (v: number) => string): void {
  const keys = labelOrder(sample);
  let line = name + sample.suffix;
  if (keys.length > 0) {
    const pairs: string[] = [];
    for (const k of keys) pairs.push(`${k}="${escapeLabelValue(sample.labels[k] as string)}"`);
    line += '{' + pairs.join(',') + '}';
  }
  out.push(line + ' ' + fmt(sample.value));
}

function byName(a: MetricFamily, b: MetricFamily): number {
  return a.desc.name < b.desc.name ? -1 : a.desc.name > b.desc.name ? 1 : 0;
}

/** Writes families sorted by name; families without samples are left out, as client_golang does. */
export function writeText(families: Iterable<MetricFamily>): string {
  const out: string[] = [];
  for (const family of [...families].sort(byName)) {
    if (family.samples.length === 0) continue;
    const { name, help, type } = family.desc;
    out.push(`# HELP ${name} ${escapeHelp(help, false)}`, `# TYPE ${name} ${type}`);
    for (const s of sortSamples(family)) writeSample(out, name, s, formatGoFloat);
  }
  out.push('');
  return out.join('\n');
}

export function writeOpenMetrics(families: Iterable<MetricFamily>): string {
  const out: string[] = [];
  for (const family of [...families].sort(byName)) {
    if (family.samples.length === 0) continue;
    const { name, help, type } = family.desc;
    const isCounter = type === 'counter';
    const familyName = isCounter && name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
    out.push(`# HELP ${familyName} ${escapeHelp(help, true)}`, `# TYPE ${familyName} ${type === 'untyped' ? 'unknown' : type}`);
    const sampleName = isCounter ? familyName + '_total' : name;
    for (const s of sortSamples(family)) writeSample(out, sampleName, s, formatOpenMetricsFloat);
  }
  out.push('# EOF', '');
  return out.join('\n');
}

export function writeFormat(format: ExpositionFormat, families: Iterable<MetricFamily>): string {
  return format === 'openmetrics' ? writeOpenMetrics(families) : writeText(families);
}
