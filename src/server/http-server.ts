/**
 * The HTTP side: the telemetry path (with node_exporter's collect[]/exclude[] filters and its
 * in-flight limit), a landing page, health endpoints, and plain-text 404s and errors.
 *
 * /-/healthy and /-/ready answer 503 with the reasons when scrapes cannot complete: a scrape
 * still running well past its deadline, or a problem reported by `healthProblems` (the I/O
 * thread pool saturated by reads that do not return). /-/ready also answers 503 once shutdown
 * has begun.
 */
import { gzipSync } from 'node:zlib';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { NodeCollector } from '../collector/node-collector.js';
import { desc, type MetricFamily } from '../exposition/model.js';
import { byName, contentTypeOf, encodeFormat, mergeByName, negotiateFormat } from '../exposition/text.js';
import type { Logger } from '../lib/log.js';
import type { SelfMetrics } from './self-metrics.js';

export interface ServerOptions {
  readonly version: string;
  readonly telemetryPath: string;
  /** Scrapes served at once; 0 means no limit. */
  readonly maxRequests: number;
  /** Upper bound for each collector; a shorter X-Prometheus-Scrape-Timeout-Seconds wins. */
  readonly collectorTimeoutMs: number;
  readonly nodeCollector: NodeCollector;
  /** Names of every collector the exporter knows, enabled or not, for filter errors. */
  readonly knownCollectors: readonly string[];
  /** Undefined with --web.disable-exporter-metrics. */
  readonly selfMetrics?: SelfMetrics;
  readonly log: Logger;
  /** Re-reads the config file (POST /-/reload); rejects with the reason when it is invalid. */
  readonly reload?: () => Promise<void>;
  /** More endpoints, installed before the 404 handler. */
  readonly routes?: readonly RouteInstaller[];
  /** Problems elsewhere that keep scrapes from completing, for /-/healthy and /-/ready. */
  readonly healthProblems?: () => readonly string[];
  /** True once shutdown has begun: /-/ready answers 503. */
  readonly shuttingDown?: () => boolean;
}

/** A scrape running this long past its deadline has not completed in time: unhealthy. */
const OVERDUE_AFTER_MS = 5000;

export type RouteInstaller = (app: express.Express) => void;

const buildInfo = desc(
  'sidecar_exporter_build_info',
  'A metric with a constant \'1\' value labeled by version, revision, and nodeversion from which sidecar_exporter was built.',
  'gauge',
  ['nodeversion', 'revision', 'version'],
);

/** Reads a repeated query parameter (`collect[]=a&collect[]=b`) as a list of strings. */
function queryList(value: unknown): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is string => typeof v === 'string');
}

export class FilterError extends Error {}

/** node_exporter's per-request filter: collect[] keeps only those, exclude[] drops those. */
export function resolveFilter(
  query: Record<string, unknown>,
  enabled: readonly string[],
  known: readonly string[],
): Set<string> | undefined {
  const collect = queryList(query['collect[]']);
  const exclude = queryList(query['exclude[]']);
  if (collect.length > 0 && exclude.length > 0) throw new FilterError('Combined collect and exclude queries are not allowed.');
  if (collect.length === 0 && exclude.length === 0) return undefined;
  for (const name of [...collect, ...exclude]) {
    if (!enabled.includes(name)) {
      const why = known.includes(name) ? 'disabled collector' : 'missing collector';
      throw new FilterError(`Couldn't create filtered metrics handler: couldn't create collector: ${why}: ${name.slice(0, 100)}`);
    }
  }
  return collect.length > 0 ? new Set(collect) : new Set(enabled.filter((n) => !exclude.includes(n)));
}

/** setTimeout's longest delay: a longer one overflows and fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The collector deadline: Prometheus' scrape timeout less half a second, capped by the flag,
 * and by the longest delay a timer can have (about 24.8 days).
 */
export function scrapeDeadlineMs(header: string | undefined, capMs: number): number {
  const cap = Math.min(capMs, MAX_TIMER_MS);
  const seconds = header === undefined ? NaN : Number(header);
  if (!Number.isFinite(seconds) || seconds <= 0) return cap;
  return Math.max(100, Math.min(cap, seconds * 1000 - 500));
}

/** `promise`, or a rejection naming `what` once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface ScrapeInFlight {
  readonly startedMs: number;
  readonly deadlineMs: number;
}

/** Scrapes still running OVERDUE_AFTER_MS past their deadline, as reasons. */
function overdueScrapes(scrapes: ReadonlySet<ScrapeInFlight>, now: number): string[] {
  const reasons: string[] = [];
  for (const s of scrapes) {
    const ranMs = now - s.startedMs;
    if (ranMs > s.deadlineMs + OVERDUE_AFTER_MS) {
      reasons.push(`a scrape has been running for ${(ranMs / 1000).toFixed(1)}s, past its ${(s.deadlineMs / 1000).toFixed(1)}s deadline`);
    }
  }
  return reasons;
}

function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';').map((s) => s.trim());
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function landingPage(version: string, telemetryPath: string): string {
  const v = escapeHtml(version);
  const p = escapeHtml(telemetryPath);
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>sidecar-exporter</title>
<style>body{font-family:sans-serif;margin:0}header{background:#e6522c;color:#fff;padding:0.5em 1em}main{padding:1em}</style>
</head>
<body>
<header><h1>sidecar-exporter</h1></header>
<main>
<p>Prometheus exporter for host, process and uptime metrics, compatible with node_exporter. Version ${v}.</p>
<ul><li><a href="${p}">Metrics</a></li><li><a href="/-/healthy">Health</a></li></ul>
</main>
</body>
</html>
`;
}

export function createApp(opts: ServerOptions): express.Express {
  const app = express();
  app.set('etag', false);
  app.disable('x-powered-by');
  const enabled = opts.nodeCollector.names;
  let inFlight = 0;
  // The last body's size: the next one is written into a buffer about that large.
  let lastBodyBytes = 0;
  const scrapes = new Set<ScrapeInFlight>();
  // The same on every scrape.
  const info: MetricFamily = {
    desc: buildInfo,
    samples: [{ suffix: '', labels: { version: opts.version, revision: 'unknown', nodeversion: process.version }, value: 1 }],
  };
  const problems = (): string[] => [...overdueScrapes(scrapes, Date.now()), ...(opts.healthProblems?.() ?? [])];

  const self = opts.selfMetrics;
  if (self) {
    // Every request is work whose event-loop delay is measured (see EventLoopLag).
    app.use((_req: Request, res: Response, next: NextFunction) => {
      self.requestStarted();
      res.once('close', () => self.requestEnded());
      next();
    });
  }

  app.get(opts.telemetryPath, async (req: Request, res: Response) => {
    if (opts.maxRequests > 0 && inFlight >= opts.maxRequests) {
      self?.requests.inc({ code: '503' });
      res.status(503).type('text/plain').send(`Limit of concurrent requests reached (${opts.maxRequests}), try again later.\n`);
      return;
    }
    let only: Set<string> | undefined;
    try {
      only = resolveFilter(req.query as Record<string, unknown>, enabled, opts.knownCollectors);
    } catch (err) {
      if (!(err instanceof FilterError)) throw err;
      opts.log.warn('bad scrape request', { err: err.message });
      res.status(400).type('text/plain').send(err.message + '\n');
      return;
    }
    inFlight++;
    self?.inFlight.set(inFlight);
    const deadline = scrapeDeadlineMs(req.get('X-Prometheus-Scrape-Timeout-Seconds'), opts.collectorTimeoutMs);
    const scrape: ScrapeInFlight = { startedMs: Date.now(), deadlineMs: deadline };
    scrapes.add(scrape);
    try {
      const [host, own] = await Promise.all([
        opts.nodeCollector.collect(deadline, only),
        // Bounded like the collectors: a scrape must answer even if these cannot be read.
        self ? within(self.families(), deadline, 'gathering the exporter\'s own metrics').catch((err: unknown): MetricFamily[] => {
          self.errors.inc({ cause: 'gathering' });
          opts.log.error('error gathering exporter metrics', { err });
          return [];
        }) : Promise.resolve([]),
      ]);
      const format = negotiateFormat(req.get('Accept'));
      // The collectors' families come in name order; the exporter's own (a fresh array) are put
      // in order and merged in, so the writer finds the whole list in order and copies nothing.
      own.push(info);
      own.sort(byName);
      let body: Buffer = encodeFormat(format, mergeByName(host, own), lastBodyBytes + (lastBodyBytes >> 4) + 1024);
      lastBodyBytes = body.length;
      res.set('Content-Type', contentTypeOf(format));
      if (acceptsGzip(req.get('Accept-Encoding'))) {
        body = gzipSync(body, { level: 1 });
        res.set('Content-Encoding', 'gzip');
      }
      res.set('Vary', 'Accept-Encoding');
      res.status(200).end(body);
      self?.requests.inc({ code: '200' });
    } finally {
      scrapes.delete(scrape);
      inFlight--;
      self?.inFlight.set(inFlight);
    }
  });

  if (opts.telemetryPath !== '/') {
    app.get('/', (_req, res) => {
      res.type('text/html').send(landingPage(opts.version, opts.telemetryPath));
    });
  }
  app.get('/-/healthy', (_req, res) => {
    const found = problems();
    if (found.length > 0) res.status(503).type('text/plain').send(`Unhealthy: ${found.join('; ')}\n`);
    else res.type('text/plain').send('Healthy\n');
  });
  app.get('/-/ready', (_req, res) => {
    const found = [...(opts.shuttingDown?.() ? ['shutting down'] : []), ...problems()];
    if (found.length > 0) res.status(503).type('text/plain').send(`Not ready: ${found.join('; ')}\n`);
    else res.type('text/plain').send('Ready\n');
  });
  app.post('/-/reload', async (_req, res) => {
    if (!opts.reload) {
      res.status(404).type('text/plain').send('404 page not found\n');
      return;
    }
    try {
      await opts.reload();
      res.type('text/plain').send('OK\n');
    } catch (err) {
      res.status(500).type('text/plain').send(`failed to reload config: ${(err as Error).message}\n`);
    }
  });
  app.all('/-/reload', (_req, res) => {
    res.status(405).set('Allow', 'POST').type('text/plain').send('This endpoint requires a POST request.\n');
  });
  for (const install of opts.routes ?? []) install(app);
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('404 page not found\n');
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    opts.log.error('request failed', { path: req.path, err });
    opts.selfMetrics?.requests.inc({ code: '500' });
    if (res.headersSent) return;
    const status = (err as { status?: number }).status;
    const code = typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
    res.status(code).type('text/plain').send(code === 500 ? 'Internal server error\n' : `${(err as Error).message}\n`);
  });
  return app;
}
