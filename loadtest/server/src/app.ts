/**
 * The sample web API the sidecar watches: a hello-world route, a route whose CPU cost per
 * request is a parameter (so a load test makes a visible CPU peak), and its own /metrics with
 * request counts and latencies by method, route and status (app-level figures beside the
 * sidecar's host-level ones).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Upper bound of /cpu?ms=, so one request can never hold the event loop for long. */
export const MAX_CPU_MS = 1000;
export const DEFAULT_CPU_MS = 20;

/** Route label for requests no route matched: one value, so scanners cannot grow the label set. */
const UNMATCHED_ROUTE = 'unmatched';

export interface ServerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route' | 'status'>;
  readonly alerts: Counter<'status'>;
}

export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  return {
    registry,
    requests: new Counter({ name: 'http_requests_total', help: 'HTTP requests served, by method, route and status.', labelNames, registers: [registry] }),
    duration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from the request to the end of the response, by method, route and status.',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    alerts: new Counter({ name: 'alert_notifications_received_total', help: 'Alerts received from Alertmanager on POST /alerts, by status (firing, resolved).', labelNames: ['status'], registers: [registry] }),
  };
}

/** The part of Alertmanager's webhook payload (version 4) this server logs. */
interface AlertmanagerWebhook {
  alerts?: { status?: unknown; labels?: Record<string, unknown>; annotations?: Record<string, unknown> }[];
}

/** Spins the CPU for `ms` milliseconds of wall time; returns how many hash rounds that took. */
export function burnCpu(ms: number): number {
  const end = performance.now() + ms;
  let rounds = 0;
  let x = 0x9e3779b9;
  while (performance.now() < end) {
    // A few thousand xorshift steps between clock reads: real work the JIT cannot drop.
    for (let i = 0; i < 4096; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
    rounds++;
  }
  return x === 0 ? -rounds : rounds;
}

/** `ms` from the query string: a whole number from 0 to MAX_CPU_MS, or undefined if invalid. */
export function parseCpuMs(raw: unknown): number | undefined {
  if (raw === undefined) return DEFAULT_CPU_MS;
  if (typeof raw !== 'string' || !/^\d{1,7}$/.test(raw)) return undefined;
  const ms = Number(raw);
  return ms <= MAX_CPU_MS ? ms : undefined;
}

function observe(metrics: ServerMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      // req.route is set once a route matched; its path is the template, never the raw URL.
      const routePath: unknown = (req.route as { path?: unknown } | undefined)?.path;
      const labels = { method: req.method, route: typeof routePath === 'string' ? routePath : UNMATCHED_ROUTE, status: String(res.statusCode) };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}

export function createApp(metrics: ServerMetrics = createMetrics()): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(observe(metrics));

  app.get('/helloWorld', (_req, res) => {
    res.json({ message: 'Hello World!' });
  });

  app.get('/cpu', (req, res) => {
    const ms = parseCpuMs(req.query.ms);
    if (ms === undefined) {
      res.status(400).json({ error: `ms must be a whole number from 0 to ${MAX_CPU_MS}` });
      return;
    }
    // The body's length depends only on ms (ab counts a length change as a failure).
    res.set('X-Cpu-Rounds', String(burnCpu(ms))).json({ ms });
  });

  // Alertmanager's webhook receiver in the Compose stack: one log line per alert, so
  // `docker compose logs server` shows what would have paged someone.
  app.post('/alerts', express.json({ limit: '1mb' }), (req, res) => {
    const body = req.body as AlertmanagerWebhook | undefined;
    for (const alert of Array.isArray(body?.alerts) ? body.alerts : []) {
      const status = alert.status === 'resolved' ? 'resolved' : 'firing';
      metrics.alerts.inc({ status });
      const name = String(alert.labels?.alertname ?? '?');
      const summary = String(alert.annotations?.summary ?? '');
      process.stdout.write(`alert ${status} ${name}: ${summary}\n`);
    }
    res.status(204).end();
  });

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not found' });
  });
  return app;
}
