/**
 * The Prometheus text format (0.0.4) and OpenMetrics 1.0, written the way client_golang's
 * expfmt writes them, so that our output can be diffed line for line against node_exporter's.
 */
import { formatGoFloat } from './go-float.js';
import type { MetricDesc, MetricFamily, Sample } from './model.js';

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

const sortedLabelNamesCache = new WeakMap<MetricDesc, string[]>();

function sortedLabelNames(d: MetricDesc): string[] {
  let names = sortedLabelNamesCache.get(d);
  if (!names) {
    names = [...d.labelNames].sort();
    sortedLabelNamesCache.set(d, names);
  }
  return names;
}

/** client_golang's MetricSorter: series ordered by label values, taken in label-name order. */
export function sortSamples(family: MetricFamily): Sample[] {
  const { desc, samples } = family;
  if (desc.type === 'histogram' || desc.type === 'summary' || samples.length < 2 || desc.labelNames.length === 0) {
    return samples;
  }
  const names = sortedLabelNames(desc);
  return [...samples].sort((a, b) => {
    for (const n of names) {
      const va = a.labels[n] ?? '';
      const vb = b.labels[n] ?? '';
      if (va !== vb) return va < vb ? -1 : 1;
    }
    return 0;
  });
}

/** OpenMetrics floats always carry a '.' or an exponent (expfmt's writeOpenMetricsFloat). */
function formatOpenMetricsFloat(v: number): string {
  const s = formatGoFloat(v);
  return /[.eIN]/.test(s) ? s : s + '.0';
}

function writeSample(out: string[], name: string, sample: Sample, fmt: (v: number) => string): void {
  const keys = Object.keys(sample.labels).sort();
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
