/**
 * The exporter's own metrics, kept by prom-client: the Node.js process (process_*, nodejs_*)
 * and the promhttp_* handler counters that node_exporter also exposes. They are converted to
 * our exposition model so one writer serialises the whole scrape in node_exporter's format.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import client from 'prom-client';
import { formatGoFloat } from '../gocompat/go-float.js';
import { desc, type MetricDesc, type MetricFamily, type MetricType, type Sample } from '../exposition/model.js';
import { countOwnOpenFds, readOwnProcFile } from '../hostfs/host-fs.js';
import { BoundedCache } from '../collector/bounded-cache.js';

/** RLIMIT_AS from /proc/self/limits; "unlimited" is reported as Go's process collector does, 2^64-1. */
export function parseAddressSpaceLimit(limits: string): number | undefined {
  const m = /^Max address space\s+(\S+)/m.exec(limits);
  if (!m) return undefined;
  return m[1] === 'unlimited' ? 18446744073709551615 : Number(m[1]);
}

/**
 * A field of /proc/<pid>/status in bytes ("VmRSS:\t  1234 kB"), read in place: prom-client
 * splits the whole file into lines and objects on every scrape for three of its fields.
 */
export function parseStatusBytes(status: string, field: string): number | undefined {
  let at = status.startsWith(field + ':') ? 0 : status.indexOf('\n' + field + ':');
  if (at < 0) return undefined;
  at += (at === 0 ? 0 : 1) + field.length + 1;
  while (status.charCodeAt(at) === 0x20 || status.charCodeAt(at) === 0x09) at++;
  let value = 0;
  const start = at;
  for (let c = status.charCodeAt(at); c >= 0x30 && c <= 0x39; c = status.charCodeAt(++at)) value = value * 10 + (c - 0x30);
  return at > start ? value * 1024 : undefined;
}


const HEAP_SPACE_METRICS = ['nodejs_heap_space_size_total_bytes', 'nodejs_heap_space_size_used_bytes', 'nodejs_heap_space_size_available_bytes'] as const;

/** Families whose values cannot change while the process runs: converted once. */
const CONSTANT_METRICS: ReadonlySet<string> = new Set(['process_start_time_seconds', 'process_max_fds', 'nodejs_version_info']);

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
/** The longest timer period libuv takes (about 24.8 days): a histogram that never samples. */
const UNUSED_HISTOGRAM_PERIOD_MS = 2 ** 31 - 1;

/** How long the event loop is still sampled after the last request ended. */
const SAMPLE_AFTER_WORK_MS = 1000;

/**
 * prom-client derives seven statistics from an event-loop-delay histogram on every scrape,
 * about 1 ms of work each time. The same gauges are kept here, refreshed every 5 s off the
 * scrape path. The delay is sampled every 10 ms, prom-client's resolution (so the figures mean
 * what they mean in other Node.js services), while the exporter works: from a request's
 * arrival until a second after the last one ended. Sampling an idle loop would wake the process
 * 100 times a second, ~0.6% of a core on a VM, for a loop with nothing to delay it. Each refresh
 * describes the samples since the last one; one without samples leaves the gauges as they were.
 */
class EventLoopLag {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly refreshTimer: NodeJS.Timeout;
  private readonly stopTimer: NodeJS.Timeout;
  private running = 0;
  private sampling = false;

  constructor(private readonly gauges: readonly [client.Gauge, ((h: Histogram) => number) | undefined][]) {
    this.refreshTimer = setInterval(() => this.refresh(), EVENT_LOOP_REFRESH_MS).unref();
    this.stopTimer = setTimeout(() => this.stopIfIdle(), SAMPLE_AFTER_WORK_MS).unref();
    this.start();
  }

  workStarted(): void {
    this.running++;
    this.start();
  }

  workEnded(): void {
    this.running = Math.max(0, this.running - 1);
    if (this.running === 0) this.stopTimer.refresh();
  }

  /** Whether the loop is being sampled now (for tests). */
  get isSampling(): boolean {
    return this.sampling;
  }

  close(): void {
    clearInterval(this.refreshTimer);
    clearTimeout(this.stopTimer);
    this.histogram.disable();
    this.sampling = false;
  }

  private start(): void {
    if (this.sampling) return;
    this.sampling = true;
    this.histogram.enable();
  }

  private stopIfIdle(): void {
    if (this.running > 0 || !this.sampling) return;
    this.sampling = false;
    this.histogram.disable();
  }

  private refresh(): void {
    const started = process.hrtime.bigint();
    const [lag] = this.gauges[0] ?? [];
    setImmediate(() => lag?.set(Number(process.hrtime.bigint() - started) / 1e9));
    if (this.histogram.count === 0) return;
    for (const [gauge, stat] of this.gauges) if (stat) gauge.set(stat(this.histogram) / 1e9);
    this.histogram.reset();
  }
}

export class SelfMetrics {
  readonly registry = new client.Registry();
  private readonly lagMonitor: EventLoopLag;
  readonly requests: client.Counter<'code'>;
  readonly inFlight: client.Gauge;
  readonly errors: client.Counter<'cause'>;
  /** Per metric name: the desc last converted (reused while help, type and labels stay the same). */
  private readonly descs = new Map<string, MetricDesc>();
  /** CONSTANT_METRICS, once converted. */
  private readonly constants = new Map<string, MetricFamily>();
  /** In place of prom-client's heap space gauges (undefined where it has none). */
  private readonly heapSpaces: HeapSpaceFamilies | undefined;

  constructor() {
    // prom-client's event-loop histogram is replaced below by one of ours; its own would still
    // wake the process every 10 ms, idle or not, so it is given a period it never reaches.
    client.collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: UNUSED_HISTOGRAM_PERIOD_MS });
    this.lagMonitor = this.monitorEventLoopLag();
    this.replaceCostlyCollects();
    this.heapSpaces = this.takeOverHeapSpaces();
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

  /** prom-client's event-loop-lag gauges, taken over by an EventLoopLag. */
  private monitorEventLoopLag(): EventLoopLag {
    const gauges: [client.Gauge, ((h: Histogram) => number) | undefined][] = [];
    for (const [name, stat] of Object.entries(EVENT_LOOP_LAG)) {
      const existing = this.registry.getSingleMetric(name) as { help?: string } | undefined;
      this.registry.removeSingleMetric(name);
      gauges.push([new client.Gauge({ name, help: existing?.help ?? name, registers: [this.registry] }), stat]);
    }
    return new EventLoopLag(gauges);
  }

  /**
   * Same names, help and values as prom-client's, from cheaper sources: the open-fd count from
   * one stat; RSS, virtual size and data size parsed in place from /proc/self/status; the heap
   * figures from V8's heap statistics (what process.memoryUsage() reports, without its RSS read).
   */
  private replaceCostlyCollects(): void {
    if (process.platform === 'linux') {
      this.replaceGauges(['process_open_fds'], ([fds]) => fds.set(countOwnOpenFds()));
      this.replaceGauges(['process_resident_memory_bytes', 'process_virtual_memory_bytes', 'process_heap_bytes'], (gauges) => {
        const status = readOwnProcFile('status');
        ['VmRSS', 'VmSize', 'VmData'].forEach((field, i) => {
          const bytes = parseStatusBytes(status, field);
          if (bytes !== undefined) gauges[i]?.set(bytes);
        });
      });
    }
    this.replaceGauges(['nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes'], ([total, used, external]) => {
      const heap = v8.getHeapStatistics();
      total.set(heap.total_heap_size);
      used?.set(heap.used_heap_size);
      external?.set(heap.external_memory);
    });
  }

  /**
   * Replaces prom-client's gauges `names` (the first one collects for all) with ours of the same
   * name and help; `collect` sets them. Names prom-client did not register are left alone.
   */
  private replaceGauges(names: readonly string[], collect: (gauges: [client.Gauge, ...client.Gauge[]]) => void): void {
    const helps = names.map((name) => (this.registry.getSingleMetric(name) as { help?: string } | undefined)?.help);
    if (helps.some((h) => h === undefined)) return;
    for (const name of names) this.registry.removeSingleMetric(name);
    const gauges: client.Gauge[] = [];
    names.forEach((name, i) => {
      const first = i === 0;
      gauges.push(
        new client.Gauge({
          name,
          help: helps[i] as string,
          registers: [this.registry],
          // Registered first, so it runs before the others are read, as prom-client's does.
          ...(first ? { collect: () => collect(gauges as [client.Gauge, ...client.Gauge[]]) } : {}),
        }),
      );
    });
  }

  /** Removes prom-client's heap space gauges, to be served by HeapSpaceFamilies with the same help. */
  private takeOverHeapSpaces(): HeapSpaceFamilies | undefined {
    const helps = HEAP_SPACE_METRICS.map((name) => (this.registry.getSingleMetric(name) as { help?: string } | undefined)?.help);
    if (helps.some((h) => h === undefined)) return undefined;
    for (const name of HEAP_SPACE_METRICS) this.registry.removeSingleMetric(name);
    return new HeapSpaceFamilies(helps as [string, string, string]);
  }

  /** A request arrived: the event loop's delay is sampled until a second after the last one ends. */
  requestStarted(): void {
    this.lagMonitor.workStarted();
  }

  requestEnded(): void {
    this.lagMonitor.workEnded();
  }

  /** Whether the event loop's delay is being sampled now. */
  get sampling(): boolean {
    return this.lagMonitor.isSampling;
  }

  /** Stops the event-loop-lag timers and histogram. */
  close(): void {
    this.lagMonitor.close();
  }

  /**
   * Reads prom-client's metrics directly (what getMetricsAsJSON gathers, without its copies),
   * reusing each family's desc and prom-client's label objects where they fit our model.
   */
  async families(): Promise<MetricFamily[]> {
    const metrics = this.registry.getMetricsAsArray();
    const pending: (Promise<PromClientMetric> | MetricFamily)[] = [];
    for (const metric of metrics) {
      const constant = this.constants.get(metric.name);
      pending.push(constant ?? (metric as unknown as { get(): Promise<PromClientMetric> }).get());
    }
    const got = await Promise.all(pending);
    const out: MetricFamily[] = [];
    for (const item of got) {
      if ('desc' in item) {
        out.push(item);
        continue;
      }
      const family = fromPromClient(item, this.descs.get(item.name));
      this.descs.set(item.name, family.desc);
      if (CONSTANT_METRICS.has(item.name) && family.samples.length > 0) this.constants.set(item.name, family);
      out.push(family);
    }
    if (this.heapSpaces) out.push(...this.heapSpaces.families());
    return out;
  }
}

/**
 * prom-client's nodejs_heap_space_size_{total,used,available}_bytes, read straight from V8's
 * heap space statistics: prom-client sets three labelled gauges per space on every scrape (a
 * label object, a hash string and a value object each) and then copies them out again.
 */
class HeapSpaceFamilies {
  private readonly descs: readonly [MetricDesc, MetricDesc, MetricDesc];
  /** Each space's label set, built once (V8 has a handful of spaces). */
  private readonly labels = new BoundedCache<Readonly<Record<string, string>>>(64);

  constructor(helps: readonly [string, string, string]) {
    this.descs = [
      desc(HEAP_SPACE_METRICS[0], helps[0], 'gauge', ['space']),
      desc(HEAP_SPACE_METRICS[1], helps[1], 'gauge', ['space']),
      desc(HEAP_SPACE_METRICS[2], helps[2], 'gauge', ['space']),
    ];
  }

  families(): MetricFamily[] {
    const spaces = v8.getHeapSpaceStatistics();
    const total = new Array<Sample>(spaces.length);
    const used = new Array<Sample>(spaces.length);
    const available = new Array<Sample>(spaces.length);
    for (let i = 0; i < spaces.length; i++) {
      const space = spaces[i] as v8.HeapSpaceInfo;
      const labels = this.labelsOf(space.space_name);
      total[i] = { suffix: '', labels, value: space.space_size };
      used[i] = { suffix: '', labels, value: space.space_used_size };
      available[i] = { suffix: '', labels, value: space.space_available_size };
    }
    return [
      { desc: this.descs[0], samples: total },
      { desc: this.descs[1], samples: used },
      { desc: this.descs[2], samples: available },
    ];
  }

  /** prom-client's label: the name up to "_space" ("new_space" → "new"; the whole name if there is none, as substr(0, -1) gives ""). */
  private labelsOf(spaceName: string): Readonly<Record<string, string>> {
    return this.labels.get(spaceName, (name) => Object.freeze({ space: name.substr(0, name.indexOf('_space')) }));
  }
}

interface PromClientMetric {
  name: string;
  help: string;
  type: string;
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary']);

/** Whether every label value is a string already (no number to format). */
function allStrings(labels: Record<string, string | number>): labels is Record<string, string> {
  for (const k in labels) if (typeof labels[k] !== 'string') return false;
  return true;
}

/** Whether `labels`, less `le` and `quantile`, are exactly `names`. */
function hasLabelNames(labels: Record<string, string | number>, names: readonly string[]): boolean {
  let count = 0;
  for (const k in labels) {
    if (k === 'le' || k === 'quantile') continue;
    if (!names.includes(k)) return false;
    count++;
  }
  return count === names.length;
}

/**
 * Converts prom-client's view of one metric to our model. `previous` (the desc this metric had
 * last time) is reused when help, type and label names are unchanged.
 */
export function fromPromClient(m: PromClientMetric, previous?: MetricDesc): MetricFamily {
  const type = (TYPES.has(m.type) ? m.type : 'untyped') as MetricType;
  let reuse = previous !== undefined && previous.help === m.help && previous.type === type;
  const samples = new Array<Sample>(m.values.length);
  for (let i = 0; i < m.values.length; i++) {
    const v = m.values[i] as PromClientMetric['values'][number];
    // prom-client does not change a value's labels object after creating it: shared, not copied.
    let labels: Readonly<Record<string, string>>;
    if (allStrings(v.labels)) labels = v.labels;
    else {
      const copy: Record<string, string> = {};
      for (const k in v.labels) {
        const raw = v.labels[k] as string | number;
        copy[k] = typeof raw === 'number' ? formatGoFloat(raw) : String(raw);
      }
      labels = copy;
    }
    if (reuse && !hasLabelNames(v.labels, (previous as MetricDesc).labelNames)) reuse = false;
    const suffix = v.metricName && v.metricName.startsWith(m.name) ? v.metricName.slice(m.name.length) : '';
    samples[i] = { suffix, labels, value: v.value };
  }
  if (reuse) return { desc: previous as MetricDesc, samples };
  const labelNames = new Set<string>();
  for (const v of m.values) for (const k in v.labels) if (k !== 'le' && k !== 'quantile') labelNames.add(k);
  return { desc: desc(m.name, m.help, type, [...labelNames]), samples };
}
