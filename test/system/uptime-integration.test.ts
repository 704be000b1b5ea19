/**
 * Scheduled checks with the real probers, in-process, against servers on 127.0.0.1 that the
 * test starts: a 200, a 500, one that accepts and never answers, an HTTPS one with a
 * self-signed certificate, and ICMP to 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { allFlags } from '../../src/options.js';
import { MetricSink } from '../../src/collector/sink.js';
import { uptimeCollector } from '../../src/uptime/collector.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigStore } from '../../src/config/store.js';
import { writeText } from '../../src/exposition/text.js';
import { parseFlags } from '../../src/cli/flags.js';
import { createLogger } from '../../src/lib/log.js';
import { HostPaths } from '../../src/hostfs/paths.js';
import { testContext, valueOf } from '../helpers/collect.js';

interface Target {
  readonly port: number;
  /** Requests to /hang, and how many of their connections the client (the prober) closed. */
  readonly hanging: { requests: number; closedByClient: number };
  close(): Promise<void>;
}

async function listen(server: http.Server | https.Server): Promise<Target> {
  const sockets = new Set<Socket>();
  const hanging = { requests: 0, closedByClient: 0 };
  let closing = false;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('request', (req: http.IncomingMessage) => {
    if (req.url !== '/hang') return;
    hanging.requests++;
    req.socket.on('close', () => {
      if (!closing) hanging.closedByClient++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hanging,
    close: () =>
      new Promise((resolve) => {
        closing = true;
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers every path: /ok 200, /fail 500, /hang never. */
function httpTarget(): Promise<Target> {
  return listen(
    http.createServer((req, res) => {
      if (req.url === '/hang') return; // accept, read the request, never answer
      res.writeHead(req.url === '/fail' ? 500 : 200, { 'Content-Type': 'text/plain' });
      res.end(req.url === '/fail' ? 'broken\n' : 'ok\n');
    }),
  );
}

async function scrapeOnce(collector: ReturnType<typeof uptimeCollector.create>): Promise<{ text: string; ms: number }> {
  const sink = new MetricSink();
  const started = performance.now();
  await collector.update(sink, new AbortController().signal);
  const ms = performance.now() - started;
  return { text: writeText(sink.entries()), ms };
}

function startCollector(yaml: string) {
  const logs: string[] = [];
  const flags = parseFlags(allFlags([uptimeCollector]), []);
  const collector = uptimeCollector.create(
    testContext({ paths: new HostPaths(), flags, log: createLogger('debug', 'logfmt', (l) => logs.push(l)), config: ConfigStore.of(parseConfig(yaml, 'test.yml')) }),
  );
  return { collector, logs };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Scrapes every 100ms until `ready(text)` holds (bounded: a loaded machine spawns and connects slowly). */
async function scrapeWhen(collector: ReturnType<typeof uptimeCollector.create>, ready: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { text } = await scrapeOnce(collector);
    if (ready(text) || Date.now() > deadline) return text;
    await sleep(100);
  }
}

const atLeast = (text: string, series: string, n: number) => (valueOf(text, series) ?? 0) >= n;

const series = (family: string, protocol: string, target: string, extra = '') => `${family}{name=""${extra.startsWith('phase') ? `,${extra}` : ''},protocol="${protocol}"${extra.startsWith('reason') ? `,${extra}` : ''},target="${target}"}`;

test('HTTP 200, 500 and a hanging server: counters, reasons, status, phases; the hanging request is aborted at the timeout', async (t) => {
  const server = await httpTarget();
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${server.port}`;
  const { collector, logs } = startCollector(`checks:
  - {protocol: http, target: "${base}/ok", interval: 1s, timeout: 900ms}
  - {protocol: http, target: "${base}/fail", interval: 1s, timeout: 900ms}
  - {protocol: http, target: "${base}/hang", interval: 1s, timeout: 300ms}
`);
  t.teardown(() => collector.close?.());

  // Every first run comes within 1s (random offset); the hanging one ends 300ms later.
  await sleep(1100);
  const during = await scrapeOnce(collector);
  t.true(during.ms < 50, `scrape took ${during.ms} ms`);
  const text = await scrapeWhen(collector, (x) =>
    ['ok', 'fail', 'hang'].every((p) => atLeast(x, series('uptime_checks_total', 'http', `${base}/${p}`), 2)),
  );

  const ok = `${base}/ok`;
  const total = valueOf(text, series('uptime_checks_total', 'http', ok)) ?? 0;
  t.true(total >= 2, `ok: ${total} checks`);
  t.is(valueOf(text, series('uptime_checks_success_total', 'http', ok)), total, text.split('\n').filter((l) => l.startsWith('uptime_check_failures_total') && l.includes('/ok') && !l.endsWith(' 0')).join('\n'));
  t.is(valueOf(text, series('uptime_check_up', 'http', ok)), 1);
  t.is(valueOf(text, series('uptime_check_http_status_code', 'http', ok)), 200);
  t.is(valueOf(text, `uptime_check_duration_seconds_count{name="",protocol="http",target="${ok}"}`), total);
  t.is(valueOf(text, `uptime_check_duration_seconds_bucket{name="",protocol="http",target="${ok}",le="+Inf"}`), total);
  const sum = valueOf(text, `uptime_check_duration_seconds_sum{name="",protocol="http",target="${ok}"}`) ?? -1;
  t.true(sum > 0 && sum < 0.5 * total, `duration sum ${sum}`);
  const lastSuccess = valueOf(text, series('uptime_check_last_success_timestamp_seconds', 'http', ok)) ?? 0;
  t.true(Math.abs(Date.now() / 1000 - lastSuccess) < 1.5, 'last success within the last interval');
  for (const phase of ['resolve', 'connect', 'tls', 'processing', 'transfer']) {
    const v = valueOf(text, series('uptime_check_http_phase_seconds', 'http', ok, `phase="${phase}"`));
    t.true(v !== undefined && v >= 0 && v < 0.5, `${phase}: ${v}`);
  }
  t.is(valueOf(text, series('uptime_check_http_phase_seconds', 'http', ok, 'phase="tls"')), 0, 'no TLS over http');
  t.false(text.includes(`uptime_check_tls_cert_expiry_timestamp_seconds{name="",protocol="http",target="${ok}"}`));

  const fail = `${base}/fail`;
  const failTotal = valueOf(text, series('uptime_checks_total', 'http', fail)) ?? 0;
  t.true(failTotal >= 2, `fail: ${failTotal}`);
  t.is(valueOf(text, series('uptime_checks_success_total', 'http', fail)), 0);
  t.is(valueOf(text, series('uptime_check_failures_total', 'http', fail, 'reason="status_code"')), failTotal);
  t.is(valueOf(text, series('uptime_check_up', 'http', fail)), 0);
  t.is(valueOf(text, series('uptime_check_http_status_code', 'http', fail)), 500);
  t.is(valueOf(text, `uptime_check_duration_seconds_count{name="",protocol="http",target="${fail}"}`), 0, 'failures are not observed');
  t.false(text.includes(series('uptime_check_last_success_timestamp_seconds', 'http', fail)));

  const hang = `${base}/hang`;
  const hangTotal = valueOf(text, series('uptime_checks_total', 'http', hang)) ?? 0;
  t.true(hangTotal >= 2, `hang: ${hangTotal} checks ended, so each was cut at its timeout`);
  t.is(valueOf(text, series('uptime_check_failures_total', 'http', hang, 'reason="timeout"')), hangTotal);
  t.false(logs.some((l) => l.includes('did not stop at its deadline')), 'the prober stopped at the deadline by itself');
  t.is(valueOf(text, series('uptime_check_http_status_code', 'http', hang)), 0);
  t.is(valueOf(text, series('uptime_check_up', 'http', hang)), 0);
  // Every finished check had sent its request and then closed the connection at the deadline.
  t.true(server.hanging.requests >= hangTotal, `${server.hanging.requests} requests`);
  t.true(server.hanging.closedByClient >= hangTotal, `${server.hanging.closedByClient} connections closed by the prober`);
});

test('HTTPS with a self-signed certificate: the expiry metric is the certificate\'s NotAfter', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'uptime-tls-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
    stdio: 'ignore',
    timeout: 20_000,
  });
  const pem = await readFile(cert);
  const notAfter = Date.parse(new X509Certificate(pem).validTo) / 1000;
  const server = await listen(https.createServer({ key: await readFile(key), cert: pem }, (_req, res) => res.end('ok')));
  t.teardown(() => server.close());
  const url = `https://127.0.0.1:${server.port}/`;
  const { collector } = startCollector(`checks:
  - {protocol: http, target: "${url}", name: skip, interval: 1s, tls_insecure_skip_verify: true}
  - {protocol: http, target: "${url}", name: verify, interval: 1s}
`);
  t.teardown(() => collector.close?.());
  const text = await scrapeWhen(collector, (x) => ['skip', 'verify'].every((n) => atLeast(x, `uptime_checks_total{name="${n}",protocol="http",target="${url}"}`, 1)));
  const skip = `name="skip",protocol="http",target="${url}"`;
  const verify = `name="verify",protocol="http",target="${url}"`;
  t.is(valueOf(text, `uptime_check_up{${skip}}`), 1);
  t.is(valueOf(text, `uptime_check_tls_cert_expiry_timestamp_seconds{${skip}}`), notAfter);
  const tlsPhase = valueOf(text, `uptime_check_http_phase_seconds{${skip.replace('protocol=', 'phase="tls",protocol=')}}`) ?? 0;
  t.true(tlsPhase > 0, `tls phase ${tlsPhase}`);
  t.is(valueOf(text, `uptime_check_up{${verify}}`), 0, 'an untrusted certificate fails without skip-verify');
  t.is(valueOf(text, `uptime_check_failures_total{${verify.replace('target=', 'reason="tls",target=')}}`), valueOf(text, `uptime_checks_total{${verify}}`));
});

test('ICMP to 127.0.0.1 succeeds and is timed', async (t) => {
  const { collector, logs } = startCollector(`checks:
  - {protocol: icmp, target: 127.0.0.1, interval: 1s}
`);
  t.teardown(() => collector.close?.());
  const text = await scrapeWhen(collector, (x) => atLeast(x, series('uptime_checks_total', 'icmp', '127.0.0.1'), 1));
  const total = valueOf(text, series('uptime_checks_total', 'icmp', '127.0.0.1')) ?? 0;
  t.true(total >= 1, `${total} checks; logs:\n${logs.join('\n')}`);
  t.is(valueOf(text, series('uptime_checks_success_total', 'icmp', '127.0.0.1')), total);
  t.is(valueOf(text, series('uptime_check_up', 'icmp', '127.0.0.1')), 1);
  const sum = valueOf(text, 'uptime_check_duration_seconds_sum{name="",protocol="icmp",target="127.0.0.1"}') ?? -1;
  t.true(sum > 0 && sum < total, `duration sum ${sum}`);
  t.false(text.includes('uptime_check_http_status_code'), 'no HTTP series for ICMP');
  t.false(logs.some((l) => /level=(INFO|WARN|ERROR)/.test(l) && l.includes('ping')), 'prober lines stay at debug level');
});
