/**
 * The uptime collector through the real exporter process (`node build/src/main.js
 * --config.file=... --collector.disable-defaults --collector.uptime`), against servers on
 * 127.0.0.1 started by the test: results, a SIGHUP reload, a system ping that cannot be used,
 * and the scheduler at scale (500 targets).
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { collectorFactories } from '../../src/collectors.js';
import { valueOf } from '../helpers/collect.js';
import { type ExporterProcess, startExporter } from '../helpers/exporters.js';
import { runUptimeScale } from '../helpers/uptime-scale.js';

const ARGS = ['--collector.disable-defaults', '--collector.uptime'];

function registered(t: ExecutionContext): boolean {
  if (collectorFactories.some((f) => f.name === 'uptime')) return true;
  t.fail('the uptime collector is not in src/collectors.ts, so the exporter binary cannot run it');
  return false;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'uptime-bin-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function exporterWith(t: ExecutionContext, config: string, env?: NodeJS.ProcessEnv): Promise<ExporterProcess> {
  const proc = await startExporter('ours', [`--config.file=${config}`, ...ARGS], env ? { env } : {});
  t.teardown(() => proc.stop());
  return proc;
}

/** Waits (bounded) until the exporter's log contains `text` `times` times. */
async function waitForLog(proc: ExporterProcess, text: string, times = 1, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (proc.stderr.split(text).length - 1 < times) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in the log within ${timeoutMs} ms:\n${proc.stderr}`);
    await sleep(50);
  }
}

async function localServer(t: ExecutionContext): Promise<number> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    if (req.url === '/hang') return;
    res.writeHead(req.url === '/fail' ? 503 : 200);
    res.end('ok');
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

const s = (family: string, labels: string) => `${family}{${labels}}`;

test('the exporter runs the checks, answers scrapes at once while one hangs, and keeps counters across a SIGHUP reload', async (t) => {
  if (!registered(t)) return;
  const port = await localServer(t);
  const dir = await tempDir(t);
  const config = path.join(dir, 'config.yml');
  const base = `http://127.0.0.1:${port}`;
  await writeFile(
    config,
    `checks:
  - {protocol: http, target: "${base}/ok", name: web, interval: 1s, timeout: 900ms}
  - {protocol: http, target: "${base}/fail", interval: 1s}
  - {protocol: http, target: "${base}/hang", interval: 2s, timeout: 1500ms}
  - {protocol: icmp, target: 127.0.0.1, interval: 1s}
`,
  );
  const proc = await exporterWith(t, config);
  const first = await proc.scrape();
  t.is(valueOf(first, 'node_scrape_collector_success{collector="uptime"}'), 1);
  t.is(valueOf(first, s('uptime_checks_total', `name="",protocol="http",target="${base}/hang"`)), 0, 'visible before its first run');

  const web = `name="web",protocol="http",target="${base}/ok"`;
  const fail = `name="",protocol="http",target="${base}/fail"`;
  const hang = `name="",protocol="http",target="${base}/hang"`;
  const icmp = 'name="",protocol="icmp",target="127.0.0.1"';
  const hangTimeouts = s('uptime_check_failures_total', `name="",protocol="http",reason="timeout",target="${base}/hang"`);
  const ready = (x: string) =>
    (valueOf(x, s('uptime_checks_total', web)) ?? 0) >= 2 &&
    (valueOf(x, s('uptime_checks_total', fail)) ?? 0) >= 1 &&
    (valueOf(x, hangTimeouts) ?? 0) >= 1 &&
    valueOf(x, s('uptime_check_up', icmp)) !== undefined;
  // Scrape until every check has results (bounded); the hanging check is in flight most of the time.
  let slowest = 0;
  let text = first;
  const deadline = Date.now() + 15_000;
  while (!ready(text) && Date.now() < deadline) {
    await sleep(300);
    const started = performance.now();
    text = await proc.scrape();
    slowest = Math.max(slowest, performance.now() - started);
  }
  t.true(slowest < 500, `slowest scrape ${slowest.toFixed(0)} ms while the hanging check was in flight`);

  const webChecks = valueOf(text, s('uptime_checks_total', web)) ?? 0;
  t.true(webChecks >= 2, `${webChecks} checks of /ok`);
  t.is(valueOf(text, s('uptime_checks_success_total', web)), webChecks);
  t.is(valueOf(text, s('uptime_check_up', web)), 1);
  t.is(valueOf(text, s('uptime_check_http_status_code', fail)), 503);
  t.is(valueOf(text, s('uptime_check_failures_total', `name="",protocol="http",reason="status_code",target="${base}/fail"`)), valueOf(text, s('uptime_checks_total', fail)));
  t.true((valueOf(text, hangTimeouts) ?? 0) >= 1);
  t.is(valueOf(text, s('uptime_check_skipped_total', hang)), 0);
  t.is(valueOf(text, s('uptime_check_up', icmp)), 1);
  t.true(Number.isFinite(valueOf(text, 'process_cpu_seconds_total') ?? NaN), 'the exporter still reports its own CPU');

  // Reload: /ok stays (its counters too), /fail goes, a new check comes.
  await writeFile(
    config,
    `checks:
  - {protocol: http, target: "${base}/ok", name: web, interval: 1s, timeout: 900ms}
  - {protocol: http, target: "${base}/hang", interval: 2s, timeout: 1500ms}
  - {protocol: icmp, target: 127.0.0.1, interval: 1s}
  - {protocol: http, target: "${base}/new", interval: 1s}
`,
  );
  proc.child.kill('SIGHUP');
  await waitForLog(proc, 'uptime checks reloaded');
  const after = await proc.scrape();
  t.true((valueOf(after, s('uptime_checks_total', web)) ?? 0) >= webChecks, 'counters of an unchanged check survive the reload');
  t.false(after.includes(`${base}/fail`), 'the removed check is gone from the output');
  t.is(valueOf(after, s('uptime_checks_total', `name="",protocol="http",target="${base}/new"`)), 0);
  t.regex(proc.stderr, /uptime checks reloaded.*added=1 changed=0 unchanged=3 removed=1/);
});

test('an unusable system ping: ICMP checks fail with reason permission without spawning it, and one warning at start', async (t) => {
  if (!registered(t)) return;
  const dir = await tempDir(t);
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  const calls = path.join(dir, 'calls.log');
  // A BusyBox-like ping that records every time it is run.
  await writeFile(path.join(bin, 'ping'), `#!/bin/sh\necho "$@" >> '${calls}'\necho 'BusyBox v1.36.1 (2024-01-01) multi-call binary.'\nexit 0\n`);
  await chmod(path.join(bin, 'ping'), 0o755);
  const config = path.join(dir, 'config.yml');
  await writeFile(config, 'checks:\n  - {protocol: icmp, target: 127.0.0.1, interval: 1s}\n  - {protocol: icmp, target: "::1", ip_protocol: ip6, interval: 1s}\n');
  const proc = await exporterWith(t, config, { ...process.env, PATH: bin });
  let text = '';
  const deadline = Date.now() + 15_000;
  do {
    await sleep(300);
    text = await proc.scrape();
  } while (Date.now() < deadline && ['127.0.0.1', '::1'].some((x) => (valueOf(text, s('uptime_checks_total', `name="",protocol="icmp",target="${x}"`)) ?? 0) < 2));
  for (const target of ['127.0.0.1', '::1']) {
    const total = valueOf(text, s('uptime_checks_total', `name="",protocol="icmp",target="${target}"`)) ?? 0;
    t.true(total >= 1, `${target}: ${total} checks`);
    t.is(valueOf(text, s('uptime_check_failures_total', `name="",protocol="icmp",reason="permission",target="${target}"`)), total);
    t.is(valueOf(text, s('uptime_check_failures_total', `name="",protocol="icmp",reason="icmp_no_reply",target="${target}"`)), 0);
  }
  const invocations = (await readFile(calls, 'utf8')).trim().split('\n');
  t.deepEqual(invocations, ['-V'], 'only the start-up detection ran ping');
  const warnings = proc.stderr.split('\n').filter((l) => l.includes('ICMP checks cannot run'));
  t.is(warnings.length, 1, proc.stderr);
  t.regex(warnings[0] ?? '', /level=WARN.*BusyBox/);
});

test('scheduler at scale: 500 targets every 2s for 12s, no overlap, check count within 5% of the runs due', async (t) => {
  if (!registered(t)) return;
  const r = await runUptimeScale({ targets: 500, intervalSeconds: 2, durationSeconds: 12, scrapeEverySeconds: 3 });
  t.log(
    `checks ${r.checks} (expected ${r.expected.toFixed(0)}), skipped ${r.skipped}, max in flight per target ${r.maxInFlightPerTarget}, ` +
      `CPU ${(r.cpuSecondsWindow * 1000).toFixed(0)} ms over ${r.wallSecondsWindow.toFixed(1)} s = ${((r.cpuSecondsWindow * 1000) / Math.max(1, r.checksWindow)).toFixed(2)} ms per check, slowest scrape ${r.maxScrapeMs.toFixed(0)} ms`,
  );
  t.is(r.targets, 500);
  t.is(r.maxInFlightPerTarget, 1, 'no check overlapped itself');
  // Skips happen only when a run is still going at its next due time, or when the process
  // stalls for longer than an interval; on a loaded machine the latter can happen, so no assertion.
  t.true(Math.abs(r.checks - r.expected) <= 0.05 * r.expected, `${r.checks} checks vs ${r.expected.toFixed(1)} due`);
  t.true(r.successes >= 0.99 * r.checks, `${r.successes} of ${r.checks} succeeded`);
  t.true(r.requests >= r.checks, 'every counted check reached the server');
  t.true(Number.isFinite(r.cpuSecondsTotal) && r.cpuSecondsTotal > 0, 'process_cpu_seconds_total is reported');
  t.true(r.cpuSecondsWindow < r.wallSecondsWindow, 'the checks do not keep a whole core busy');
});
