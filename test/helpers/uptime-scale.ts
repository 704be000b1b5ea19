/**
 * The scheduler at scale, through the real exporter process: N HTTP targets (distinct paths on
 * one local server on 127.0.0.1) checked every I seconds for T seconds. The server records how
 * many requests of each path were in flight at once, so an overlap of a check with itself is
 * seen from the outside. Used by test/system/uptime-binary.test.ts (a lighter run) and by
 * bench/uptime-bench.ts (the full one); it must not import ava.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseExposition, type ParsedFamily } from './exposition-parse.js';
import { startExporter } from './exporters.js';

export interface ScaleOptions {
  readonly targets: number;
  readonly intervalSeconds: number;
  readonly durationSeconds: number;
  /** Scrape /metrics this often during the run, as Prometheus would (default 5). */
  readonly scrapeEverySeconds?: number;
  /** Extra exporter flags, e.g. --checks.max-concurrency=32. */
  readonly extraArgs?: readonly string[];
}

export interface ScaleResult {
  readonly targets: number;
  /** Completed checks, summed over targets, at the final scrape. */
  readonly checks: number;
  readonly successes: number;
  readonly skipped: number;
  /** Runs due since each check was created (its random first offset averaged out: elapsed / interval). */
  readonly expected: number;
  /** The most requests of one target the server saw in flight at once (1 = no overlap). */
  readonly maxInFlightPerTarget: number;
  readonly requests: number;
  /** The exporter's own process_cpu_seconds_total at the end, and over the measured window. */
  readonly cpuSecondsTotal: number;
  readonly cpuSecondsWindow: number;
  /** Checks completed within the measured window (from the first scrape to the last). */
  readonly checksWindow: number;
  readonly wallSecondsWindow: number;
  /** Slowest /metrics answer seen during the run. */
  readonly maxScrapeMs: number;
}

function sum(family: ParsedFamily | undefined): number {
  return (family?.samples ?? []).reduce((acc, s) => acc + s.value, 0);
}

function familyOf(text: string, name: string): ParsedFamily | undefined {
  return parseExposition(text).find((f) => f.name === name);
}

/** A server on 127.0.0.1 answering 200 on every path and counting concurrent requests per path. */
async function countingServer(): Promise<{ port: number; maxPerPath: () => number; requests: () => number; close: () => Promise<void> }> {
  const inFlight = new Map<string, number>();
  let maxPerPath = 0;
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const key = req.url ?? '';
    requests++;
    const n = (inFlight.get(key) ?? 0) + 1;
    inFlight.set(key, n);
    maxPerPath = Math.max(maxPerPath, n);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
    };
    res.on('finish', finish);
    res.on('close', finish);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok\n');
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    maxPerPath: () => maxPerPath,
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runUptimeScale(opts: ScaleOptions): Promise<ScaleResult> {
  const server = await countingServer();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'uptime-scale-'));
  const config = path.join(dir, 'config.yml');
  const lines = ['checks:'];
  for (let i = 0; i < opts.targets; i++) {
    lines.push(`  - {protocol: http, target: "http://127.0.0.1:${server.port}/t/${i}", interval: ${opts.intervalSeconds}s}`);
  }
  await writeFile(config, lines.join('\n') + '\n');
  const exporter = await startExporter('ours', [`--config.file=${config}`, '--collector.disable-defaults', '--collector.uptime', ...(opts.extraArgs ?? [])]);
  try {
    const first = await exporter.scrape();
    const cpuAtStart = sum(familyOf(first, 'process_cpu_seconds_total'));
    const checksAtStart = sum(familyOf(first, 'uptime_checks_total'));
    const wallAtStart = Date.now();
    const endAt = wallAtStart + opts.durationSeconds * 1000;
    let maxScrapeMs = 0;
    // Scrape while the checks run, as Prometheus would: each scrape must answer promptly.
    const everyMs = (opts.scrapeEverySeconds ?? 5) * 1000;
    while (Date.now() < endAt) {
      await sleep(Math.min(everyMs, Math.max(0, endAt - Date.now())));
      const started = performance.now();
      await exporter.scrape();
      maxScrapeMs = Math.max(maxScrapeMs, performance.now() - started);
    }
    const scrapeAt = Date.now() / 1000;
    const text = await exporter.scrape();
    const created = familyOf(text, 'uptime_check_created_timestamp_seconds');
    const expected = (created?.samples ?? []).reduce((acc, s) => acc + Math.max(0, scrapeAt - s.value) / opts.intervalSeconds, 0);
    const cpuSecondsTotal = sum(familyOf(text, 'process_cpu_seconds_total'));
    const checks = sum(familyOf(text, 'uptime_checks_total'));
    return {
      targets: created?.samples.length ?? 0,
      checks,
      checksWindow: checks - checksAtStart,
      successes: sum(familyOf(text, 'uptime_checks_success_total')),
      skipped: sum(familyOf(text, 'uptime_check_skipped_total')),
      expected,
      maxInFlightPerTarget: server.maxPerPath(),
      requests: server.requests(),
      cpuSecondsTotal,
      cpuSecondsWindow: cpuSecondsTotal - cpuAtStart,
      wallSecondsWindow: scrapeAt - wallAtStart / 1000,
      maxScrapeMs,
    };
  } finally {
    await exporter.stop();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}
