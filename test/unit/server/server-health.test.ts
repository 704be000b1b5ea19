/**
 * The HTTP server in-process (createApp, startExporter): /metrics answers within its deadline
 * whatever its parts wait on, /-/healthy and /-/ready say why scrapes cannot complete, and
 * shutdown drains requests in flight for a bounded time and reports the ones it cut.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import client from 'prom-client';
import { allFlags } from '../../../src/options.js';
import type { Collector, CollectorFactory } from '../../../src/collector/collector.js';
import { NodeCollector } from '../../../src/collector/node-collector.js';
import { startExporter } from '../../../src/exporter.js';
import { desc } from '../../../src/exposition/model.js';
import { parseFlags } from '../../../src/cli/flags.js';
import { createLogger, silentLogger } from '../../../src/lib/log.js';
import { SelfMetrics } from '../../../src/server/self-metrics.js';
import { createApp, type ServerOptions } from '../../../src/server/http-server.js';
import { valueOf } from '../../helpers/collect.js';
import { httpGet } from '../../helpers/exporters.js';
import { blockThreadPool } from '../../helpers/fifo.js';

const fakeMetric = desc('fake_metric', 'A fake.', 'gauge');

/** A collector that adds fake_metric 1 after `ms`. */
function sleepyCollector(ms: number): Collector {
  return {
    async update(sink) {
      await new Promise((r) => setTimeout(r, ms));
      sink.add(fakeMetric, 1);
    },
  };
}

async function serve(t: ExecutionContext, options: Partial<ServerOptions>): Promise<{ port: number; logs: string[] }> {
  const logs: string[] = [];
  const log = createLogger('debug', 'logfmt', (l) => logs.push(l));
  const app = createApp({
    version: 'test',
    telemetryPath: '/metrics',
    maxRequests: 0,
    collectorTimeoutMs: 10_000,
    nodeCollector: new NodeCollector(new Map([['fake', sleepyCollector(0)]]), log),
    knownCollectors: ['fake'],
    log,
    ...options,
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, logs };
}

async function timedGet(port: number, urlPath: string, headers?: Record<string, string>) {
  const start = performance.now();
  const res = await httpGet(port, urlPath, { timeoutMs: 15_000, headers });
  return { ...res, ms: performance.now() - start };
}

test.serial('/metrics answers, the exporter\'s own metrics included, while libuv\'s thread pool is blocked', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'server-health-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const self = new SelfMetrics();
  t.teardown(() => self.close());
  const { port } = await serve(t, { selfMetrics: self });
  await blockThreadPool(t, dir);
  const res = await timedGet(port, '/metrics', { 'X-Prometheus-Scrape-Timeout-Seconds': '3' });
  t.is(res.status, 200);
  t.true(res.ms < 2000, `took ${res.ms} ms`);
  t.is(valueOf(res.text, 'fake_metric'), 1);
  t.truthy(valueOf(res.text, 'process_virtual_memory_max_bytes'), 'read from /proc/self/limits without the pool');
  t.truthy(valueOf(res.text, 'process_resident_memory_bytes'));
  t.is(valueOf(res.text, 'promhttp_metric_handler_errors_total{cause="gathering"}'), 0);
});

test('/metrics answers within its deadline when the exporter\'s own metrics never come', async (t) => {
  const self = new SelfMetrics();
  t.teardown(() => self.close());
  new client.Gauge({ name: 'never_collected', help: 'Its collect never ends.', registers: [self.registry], collect: () => new Promise(() => undefined) });
  const { port, logs } = await serve(t, { selfMetrics: self });
  const res = await timedGet(port, '/metrics', { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' });
  t.is(res.status, 200);
  t.true(res.ms < 3000, `took ${res.ms} ms`);
  t.is(valueOf(res.text, 'fake_metric'), 1);
  t.true(logs.some((l) => l.includes('error gathering exporter metrics') && l.includes('did not finish within 1000ms')), logs.join('\n'));
  const again = await timedGet(port, '/metrics', { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' });
  t.true(again.text.includes('fake_metric 1'));
});

test('a huge scrape timeout and collector timeout do not overflow the deadline timer', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const log = createLogger('error', 'logfmt', () => undefined);
  const { port } = await serve(t, {
    collectorTimeoutMs: 1000 * 3600 * 1000,
    nodeCollector: new NodeCollector(new Map([['fake', sleepyCollector(50)]]), log),
  });
  for (const header of ['3000000', '1e10']) {
    const res = await timedGet(port, '/metrics', { 'X-Prometheus-Scrape-Timeout-Seconds': header });
    t.is(valueOf(res.text, 'node_scrape_collector_success{collector="fake"}'), 1, `header ${header}: ${res.text}`);
    t.is(valueOf(res.text, 'fake_metric'), 1);
  }
  t.deepEqual(warnings, []);
});

test('/-/healthy and /-/ready answer 503 with the reasons given, /-/ready also while shutting down', async (t) => {
  let problems: string[] = [];
  let stopping = false;
  const { port } = await serve(t, { healthProblems: () => problems, shuttingDown: () => stopping });
  t.is((await httpGet(port, '/-/healthy')).text, 'Healthy\n');
  t.is((await httpGet(port, '/-/ready')).text, 'Ready\n');
  problems = ['I/O thread pool saturated: example'];
  const expected: [string, string][] = [
    ['/-/healthy', 'Unhealthy: I/O thread pool saturated: example\n'],
    ['/-/ready', 'Not ready: I/O thread pool saturated: example\n'],
  ];
  for (const [p, text] of expected) {
    const res = await httpGet(port, p);
    t.is(res.status, 503, p);
    t.is(res.text, text);
  }
  problems = [];
  stopping = true;
  t.is((await httpGet(port, '/-/healthy')).status, 200);
  const ready = await httpGet(port, '/-/ready');
  t.is(ready.status, 503);
  t.is(ready.text, 'Not ready: shutting down\n');
});

test('a scrape still running 5 s past its deadline makes /-/healthy and /-/ready answer 503', async (t) => {
  // A stand-in whose collect never ends: the server itself must notice.
  const stuck = { names: ['fake'], collect: () => new Promise(() => undefined) } as unknown as NodeCollector;
  const { port } = await serve(t, { nodeCollector: stuck });
  const agent = new http.Agent();
  t.teardown(() => agent.destroy());
  void httpGet(port, '/metrics', { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '0.6' }, agent, timeoutMs: 20_000 }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 1000));
  t.is((await httpGet(port, '/-/healthy')).status, 200, 'within the grace after its 0.1 s deadline');
  await new Promise((r) => setTimeout(r, 4500));
  const res = await httpGet(port, '/-/healthy');
  t.is(res.status, 503);
  t.regex(res.text, /^Unhealthy: a scrape has been running for 5\.\d+s, past its 0\.1s deadline\n$/);
  t.is((await httpGet(port, '/-/ready')).status, 503);
});

/** A collector factory whose scrape waits until the test releases it (bounded by 20 s). */
function heldCollector(): { factory: CollectorFactory; release: () => void; started: Promise<void> } {
  let release!: () => void;
  let markStarted!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const started = new Promise<void>((r) => (markStarted = r));
  const factory: CollectorFactory = {
    name: 'held',
    defaultEnabled: false,
    create: () => ({
      async update(sink) {
        markStarted();
        await Promise.race([released, new Promise((r) => setTimeout(r, 20_000))]);
        sink.add(fakeMetric, 1);
      },
    }),
  };
  return { factory, release, started };
}

async function startHeld(t: ExecutionContext) {
  const held = heldCollector();
  const flags = parseFlags(allFlags([held.factory]), ['--web.listen-address=127.0.0.1:0', '--collector.held', '--web.disable-exporter-metrics', '--scrape.collector-timeout=30s']);
  const exporter = await startExporter({ factories: [held.factory], flags, version: 'test', log: createLogger('error', 'logfmt', () => undefined) });
  t.teardown(async () => {
    held.release();
    await exporter.close(0);
  });
  return { ...held, exporter };
}

test('close() waits for a request in flight that finishes within the drain time, and cuts nothing', async (t) => {
  const { exporter, release, started } = await startHeld(t);
  const scrape = httpGet(exporter.port, '/metrics', { timeoutMs: 10_000 });
  await started;
  setTimeout(release, 300);
  const start = performance.now();
  const cut = await exporter.close(3000);
  t.deepEqual(cut, []);
  t.true(performance.now() - start < 2500);
  const res = await scrape;
  t.is(res.status, 200);
  t.is(valueOf(res.text, 'fake_metric'), 1);
});

test('close() cuts a request still running after the drain time and says which', async (t) => {
  const { exporter, started } = await startHeld(t);
  const scrape = httpGet(exporter.port, '/metrics?collect[]=held', { timeoutMs: 10_000 }).then(
    (res) => `HTTP ${res.status}`,
    (err: NodeJS.ErrnoException) => err.code,
  );
  await started;
  const start = performance.now();
  const cut = await exporter.close(500);
  const ms = performance.now() - start;
  t.true(ms >= 450 && ms < 2500, `close took ${ms} ms`);
  t.is(cut.length, 1);
  t.like(cut[0], { method: 'GET', path: '/metrics' }, 'the path without its query string');
  t.true((cut[0]?.seconds ?? 0) >= 0.4);
  t.is(await scrape, 'ECONNRESET');
});

test('the event loop\'s delay is sampled while requests run and for a second after, not while idle', async (t) => {
  const self = new SelfMetrics();
  t.teardown(() => self.close());
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  t.true(self.sampling, 'from the start');
  await sleep(1300);
  t.false(self.sampling, 'idle for a second');
  const { port } = await serve(t, { selfMetrics: self, nodeCollector: new NodeCollector(new Map([['fake', sleepyCollector(1500)]]), silentLogger) });
  const scrape = httpGet(port, '/metrics', { timeoutMs: 15_000 });
  await sleep(100);
  t.true(self.sampling, 'a request arrived');
  await sleep(1200);
  t.true(self.sampling, 'still running after more than a second');
  t.is((await scrape).status, 200);
  await sleep(500);
  t.true(self.sampling, 'within a second of its end');
  await sleep(900);
  t.false(self.sampling, 'a second after its end');
  const text = (await httpGet(port, '/metrics', { timeoutMs: 15_000 })).body.toString();
  t.true((valueOf(text, 'nodejs_eventloop_lag_p99_seconds') ?? NaN) >= 0, 'the gauges are served');
});
