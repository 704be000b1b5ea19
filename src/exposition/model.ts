/** The exposition model shared by collectors, the scrape and the writers. */

export type MetricType = 'counter' | 'gauge' | 'untyped' | 'histogram' | 'summary';

/** A metric family's fixed description: what a collector declares once, at module load. */
export interface MetricDesc {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
}

export interface Sample {
  /** '' for plain series; '_bucket', '_sum', '_count' for histogram and summary parts. */
  readonly suffix: string;
  /** Label names and values, names as in the family's desc (plus `le`/`quantile` for parts). */
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly desc: MetricDesc;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function isValidMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name) && !name.startsWith('__');
}

/** Declares a family. Invalid names are programming errors, so they throw at load time. */
export function desc(name: string, help: string, type: MetricType, labelNames: readonly string[] = []): MetricDesc {
  if (!isValidMetricName(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
  for (const l of labelNames) {
    if (!isValidLabelName(l)) throw new Error(`invalid label name ${JSON.stringify(l)} for ${name}`);
  }
  return Object.freeze({ name, help, type, labelNames: Object.freeze([...labelNames]) });
}

/** node_exporter's SanitizeMetricName: runs of invalid characters (and the underscores around them) become one `_`. */
export function sanitizeMetricName(name: string): string {
  return name.replace(/_*[^0-9A-Za-z_]+_*/g, '_');
}
