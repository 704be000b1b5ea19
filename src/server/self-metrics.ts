/**
 * The exporter's own metrics, kept by prom-client: the Node.js process (process_*, nodejs_*)
 * and the promhttp_* handler counters that node_exporter also exposes. They are converted to
 * our exposition model so one writer serialises the whole scrape in node_exporter's format.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import client from 'prom-client';
import { formatGoFloat } from '../gocompat/go-float.js';
import { desc, type MetricFamily, type MetricType, type Sample } from '../exposition/model.js';
import { readOwnProcFile } from '../hostfs/host-fs.js';

/** RLIMIT_AS from /proc/self/limits; "unlimited" is reported as Go's process collector does, 2^64-1. */
export function parseAddressSpaceLimit(limits: string): number | undefined {
  const m = /^Max address space\s+(\S+)/m.exec(limits);
  if (!m) return undefined;
  return m[1] === 'unlimited' ? 18446744073709551615 : Number(m[1]);
}

/** prom-client's event-loop-lag gauges: it computes them on every scrape; we do on a timer. */
const EVENT_LOOP_LAG = {
  nodejs_eventloop_lag_seconds: undefined,
  nodejs_eventloop_lag_min_seconds: (h: Histogram) => h.min,
  nodejs_eventloop_lag_max_seconds: (h: Histogram) => h.max,
  nodejs_eventloop_lag_mean_seconds: (h: Histogram) => h.mean,
  nodejs_eventloop_lag_stddev_seconds: (h: Histogram) => h.stddev,
  nodejs_eventloop_lag_p50_seconds: (h: Histogram) => h.percentile(50),
  nodejs_eventloop_lag_p90_seconds: (h: Histogram) => h.percentile(90),
  nodejs_eventloop_lag_p99_seconds: (h: Histogram) => h.percentile(99),
} as const;
type Histogram = ReturnType<typeof monitorEventLoopDelay>;
const EVENT_LOOP_REFRESH_MS = 5000;

export class SelfMetrics {
  readonly registry = new client.Registry();
  private readonly lagMonitor: { timer: NodeJS.Timeout; histogram: Histogram };
  readonly requests: client.Counter<'code'>;
  readonly inFlight: client.Gauge;
  readonly errors: client.Counter<'cause'>;

  constructor() {
    client.collectDefaultMetrics({ register: this.registry });
    this.lagMonitor = this.refreshEventLoopLagOnATimer();
    this.requests = new client.Counter({
      name: 'promhttp_metric_handler_requests_total',
      help: 'Total number of scrapes by HTTP status code.',
      labelNames: ['code'],
      registers: [this.registry],
    });
    for (const code of ['200', '500', '503']) this.requests.inc({ code }, 0);
    this.inFlight = new client.Gauge({
      name: 'promhttp_metric_handler_requests_in_flight',
      help: 'Current number of scrapes being served.',
      registers: [this.registry],
    });
    this.errors = new client.Counter({
      name: 'promhttp_metric_handler_errors_total',
      help: 'Total number of internal errors encountered by the promhttp metric handler.',
      labelNames: ['cause'],
      registers: [this.registry],
    });
    for (const cause of ['encoding', 'gathering']) this.errors.inc({ cause }, 0);
    // client_golang's process collector has it and prom-client does not; dashboard 1860 plots it.
    if (process.platform === 'linux') {
      new client.Gauge({
        name: 'process_virtual_memory_max_bytes',
        help: 'Maximum amount of virtual memory available in bytes.',
        registers: [this.registry],
        collect() {
          // Not through libuv's thread pool: a scrape's own metrics must not wait behind reads that do not return.
          const limit = parseAddressSpaceLimit(readOwnProcFile('limits'));
          if (limit !== undefined && Number.isFinite(limit)) this.set(limit);
        },
      });
    }
  }

  /**
   * prom-client derives seven statistics from an event-loop-delay histogram on every scrape,
   * about 1 ms of work each time. The same gauges are kept here, refreshed every 5 s off the
   * scrape path, each describing the last 5 s.
   */
  private refreshEventLoopLagOnATimer(): { timer: NodeJS.Timeout; histogram: Histogram } {
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    const gauges: [client.Gauge, ((h: Histogram) => number) | undefined][] = [];
    for (const [name, stat] of Object.entries(EVENT_LOOP_LAG)) {
      const existing = this.registry.getSingleMetric(name) as { help?: string } | undefined;
      this.registry.removeSingleMetric(name);
      gauges.push([new client.Gauge({ name, help: existing?.help ?? name, registers: [this.registry] }), stat]);
    }
    const refresh = (): void => {
      const started = process.hrtime.bigint();
      setImmediate(() => gauges[0]?.[0].set(Number(process.hrtime.bigint() - started) / 1e9));
      for (const [gauge, stat] of gauges) if (stat) gauge.set(stat(histogram) / 1e9);
      histogram.reset();
    };
    return { timer: setInterval(refresh, EVENT_LOOP_REFRESH_MS).unref(), histogram };
  }

  /** Stops the event-loop-lag timer and histogram (prom-client's own histogram cannot be reached). */
  close(): void {
    clearInterval(this.lagMonitor.timer);
    this.lagMonitor.histogram.disable();
  }

  async families(): Promise<MetricFamily[]> {
    const json = await this.registry.getMetricsAsJSON();
    return json.map((m) => fromPromClient(m as unknown as PromClientMetric));
  }
}

interface PromClientMetric {
  name: string;
  help: string;
  type: string;
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

/** Converts prom-client's JSON view of one metric to our model. */
export function fromPromClient(m: PromClientMetric): MetricFamily {
  const type = (['counter', 'gauge', 'histogram', 'summary'].includes(m.type) ? m.type : 'untyped') as MetricType;
  const labelNames = new Set<string>();
  const samples: Sample[] = m.values.map((v) => {
    const labels: Record<string, string> = {};
    for (const [k, raw] of Object.entries(v.labels)) {
      labels[k] = typeof raw === 'number' ? formatGoFloat(raw) : String(raw);
      if (k !== 'le' && k !== 'quantile') labelNames.add(k);
    }
    const suffix = v.metricName && v.metricName.startsWith(m.name) ? v.metricName.slice(m.name.length) : '';
    return { suffix, labels, value: v.value };
  });
  return { desc: desc(m.name, m.help, type, [...labelNames]), samples };
}
