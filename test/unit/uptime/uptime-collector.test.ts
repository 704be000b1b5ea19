import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { allFlags } from '../../../src/options.js';
import type { Collector, CollectorFactory } from '../../../src/collector/collector.js';
import { MetricSink } from '../../../src/collector/sink.js';
import { DURATION_BUCKETS_FLAG, makeUptimeCollector, MAX_CONCURRENCY_FLAG, uptimeCollector } from '../../../src/uptime/collector.js';
import { ConfigStore } from '../../../src/config/store.js';
import { parseConfig } from '../../../src/config/load.js';
import { writeText } from '../../../src/exposition/text.js';
import { parseFlags } from '../../../src/cli/flags.js';
import { createLogger } from '../../../src/lib/log.js';
import { HostPaths } from '../../../src/hostfs/paths.js';
import { HostFs } from '../../../src/hostfs/host-fs.js';
import { testContext, valueOf } from '../../helpers/collect.js';
import { FakeProbers, ManualClock, result } from '../../helpers/uptime.js';

interface Harness {
  collector: Collector;
  clock: ManualClock;
  probers: FakeProbers;
  logs: string[];
  scrape(): Promise<string>;
}

/** `offsets`: the random draws for the checks' first runs, as fractions of their intervals. */
function harness(config: ConfigStore, argv: string[] = [], offsets: number[] = []): Harness {
  const clock = new ManualClock();
  clock.randoms.push(...offsets);
  const probers = new FakeProbers(clock);
  const factory: CollectorFactory = makeUptimeCollector(() => probers.runnerFor, clock);
  const logs: string[] = [];
  const flags = parseFlags(allFlags([factory]), argv);
  const collector = factory.create(testContext({ paths: new HostPaths(), flags, log: createLogger('debug', 'logfmt', (l) => logs.push(l)), config }));
  return {
    collector,
    clock,
    probers,
    logs,
    async scrape() {
      const sink = new MetricSink();
      await collector.update(sink, new AbortController().signal);
      return writeText(sink.entries());
    },
  };
}

/** Label values sort by label name: name, protocol, reason, target. */
const REASONS_SORTED = ['body', 'connect', 'dns', 'dns_answer', 'error', 'expect', 'icmp_no_reply', 'permission', 'status_code', 'timeout', 'tls'];

const storeOf = (yaml: string): ConfigStore => ConfigStore.of(parseConfig(yaml, 'test.yml'));

const TWO_CHECKS = `checks:
  - {protocol: http, target: "https://127.0.0.1:8443/health", name: api, interval: 10s, timeout: 3s}
  - {protocol: icmp, target: 127.0.0.1, interval: 10s}
`;

test('the uptime collector is on by default and owns its flags', (t) => {
  t.is(uptimeCollector.name, 'uptime');
  t.true(uptimeCollector.defaultEnabled);
  const flags = parseFlags(allFlags([uptimeCollector]), []);
  t.is(flags.get(MAX_CONCURRENCY_FLAG), 16);
  t.is(flags.get(DURATION_BUCKETS_FLAG), '0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10');
  t.throws(() => parseFlags(allFlags([uptimeCollector]), ['--checks.max-concurrency=0']), { message: /--checks.max-concurrency: must be at least 1/ });
});

test('without checks the collector adds nothing', async (t) => {
  const h = harness(storeOf(''));
  t.is(await h.scrape(), '');
  await h.collector.close?.();
});

test('bad --checks.duration-buckets is rejected when the collector is created', (t) => {
  t.throws(() => harness(storeOf(''), ['--checks.duration-buckets=0.1,fast']), { message: /--checks.duration-buckets: bucket "fast" is not a number/ });
});

test('before the first run: counters and histogram at 0, created time, no up/last-success/status', async (t) => {
  const h = harness(storeOf(TWO_CHECKS), ['--checks.duration-buckets=0.1,0.5']);
  const text = await h.scrape();
  const api = 'name="api",protocol="http",target="https://127.0.0.1:8443/health"';
  const ping = 'name="",protocol="icmp",target="127.0.0.1"';
  t.is(valueOf(text, `uptime_checks_total{${api}}`), 0);
  t.is(valueOf(text, `uptime_checks_success_total{${ping}}`), 0);
  for (const reason of ['timeout', 'dns', 'connect', 'tls', 'status_code', 'body', 'icmp_no_reply', 'expect', 'dns_answer', 'permission', 'error']) {
    t.is(valueOf(text, `uptime_check_failures_total{name="api",protocol="http",reason="${reason}",target="https://127.0.0.1:8443/health"}`), 0, reason);
    t.is(valueOf(text, `uptime_check_failures_total{name="",protocol="icmp",reason="${reason}",target="127.0.0.1"}`), 0, reason);
  }
  t.is(valueOf(text, `uptime_check_skipped_total{${api}}`), 0);
  t.is(valueOf(text, `uptime_check_created_timestamp_seconds{${api}}`), 1_700_000_000);
  t.is(valueOf(text, `uptime_check_duration_seconds_bucket{${api},le="0.1"}`), 0);
  t.is(valueOf(text, `uptime_check_duration_seconds_bucket{${api},le="+Inf"}`), 0);
  t.is(valueOf(text, `uptime_check_duration_seconds_count{${ping}}`), 0);
  for (const absent of ['uptime_check_up', 'uptime_check_last_success_timestamp_seconds', 'uptime_check_http_status_code', 'uptime_check_http_phase_seconds', 'uptime_check_tls_cert_expiry_timestamp_seconds']) {
    t.false(text.includes(absent), absent);
  }
  await h.collector.close?.();
});

test('the exposition after checks: exact families, HELP, label order and Go-formatted le', async (t) => {
  const h = harness(
    storeOf(`checks:
  - {protocol: http, target: "https://127.0.0.1:8443/health", name: api, interval: 10s, timeout: 3s}
  - {protocol: icmp, target: 127.0.0.1, interval: 10s}
`),
    ['--checks.duration-buckets=0.0005,0.25,1e3'],
    [0, 0.5],
  );
  const phases = { resolve: 0.001, connect: 0.002, tls: 0.003, processing: 0.004, transfer: 0.5 };
  const http = { statusCode: 200, phases, contentLength: 2, uncompressedBodyLength: 2, redirects: 0, ssl: true, httpVersion: 1.1, certExpiryTimestamp: 1_800_000_000, failedDueToRegex: false };
  h.probers.autoResult = (check) =>
    check.protocol === 'http'
      ? result({ durationSeconds: 0.125, http })
      : result({ success: false, reason: 'icmp_no_reply', durationSeconds: 1, icmp: { phases: { resolve: 0, setup: 0, rtt: 0 }, packetLoss: 1 } });
  await h.clock.advance(5000);
  const text = await h.scrape();
  const api = 'name="api",protocol="http",target="https://127.0.0.1:8443/health"';
  const ping = 'name="",protocol="icmp",target="127.0.0.1"';
  const expected = [
    '# HELP uptime_check_created_timestamp_seconds Unix time when the check was set up (start-up, or the reload that added it); its counters count from then.',
    '# TYPE uptime_check_created_timestamp_seconds gauge',
    `uptime_check_created_timestamp_seconds{${ping}} 1.7e+09`,
    `uptime_check_created_timestamp_seconds{${api}} 1.7e+09`,
    '# HELP uptime_check_duration_seconds Duration of successful uptime checks in seconds; failures are counted by reason instead.',
    '# TYPE uptime_check_duration_seconds histogram',
    `uptime_check_duration_seconds_bucket{${ping},le="0.0005"} 0`,
    `uptime_check_duration_seconds_bucket{${ping},le="0.25"} 0`,
    `uptime_check_duration_seconds_bucket{${ping},le="1000"} 0`,
    `uptime_check_duration_seconds_bucket{${ping},le="+Inf"} 0`,
    `uptime_check_duration_seconds_sum{${ping}} 0`,
    `uptime_check_duration_seconds_count{${ping}} 0`,
    `uptime_check_duration_seconds_bucket{${api},le="0.0005"} 0`,
    `uptime_check_duration_seconds_bucket{${api},le="0.25"} 1`,
    `uptime_check_duration_seconds_bucket{${api},le="1000"} 1`,
    `uptime_check_duration_seconds_bucket{${api},le="+Inf"} 1`,
    `uptime_check_duration_seconds_sum{${api}} 0.125`,
    `uptime_check_duration_seconds_count{${api}} 1`,
    '# HELP uptime_check_failures_total Scheduled uptime checks that failed, by reason (timeout, dns, connect, tls, status_code, body, icmp_no_reply, expect, dns_answer, permission, error).',
    '# TYPE uptime_check_failures_total counter',
    ...REASONS_SORTED.map((r) => `uptime_check_failures_total{name="",protocol="icmp",reason="${r}",target="127.0.0.1"} ${r === 'icmp_no_reply' ? 1 : 0}`),
    ...REASONS_SORTED.map((r) => `uptime_check_failures_total{name="api",protocol="http",reason="${r}",target="https://127.0.0.1:8443/health"} 0`),
    '# HELP uptime_check_http_phase_seconds Duration of each phase of the last HTTP check in seconds, summed over redirects.',
    '# TYPE uptime_check_http_phase_seconds gauge',
    `uptime_check_http_phase_seconds{name="api",phase="connect",protocol="http",target="https://127.0.0.1:8443/health"} 0.002`,
    `uptime_check_http_phase_seconds{name="api",phase="processing",protocol="http",target="https://127.0.0.1:8443/health"} 0.004`,
    `uptime_check_http_phase_seconds{name="api",phase="resolve",protocol="http",target="https://127.0.0.1:8443/health"} 0.001`,
    `uptime_check_http_phase_seconds{name="api",phase="tls",protocol="http",target="https://127.0.0.1:8443/health"} 0.003`,
    `uptime_check_http_phase_seconds{name="api",phase="transfer",protocol="http",target="https://127.0.0.1:8443/health"} 0.5`,
    '# HELP uptime_check_http_status_code HTTP status code of the last check\'s final response; 0 when no response arrived.',
    '# TYPE uptime_check_http_status_code gauge',
    `uptime_check_http_status_code{${api}} 200`,
    '# HELP uptime_check_last_success_timestamp_seconds Unix time of the last successful check; absent until a check succeeds.',
    '# TYPE uptime_check_last_success_timestamp_seconds gauge',
    `uptime_check_last_success_timestamp_seconds{${api}} 1.7e+09`,
    '# HELP uptime_check_skipped_total Scheduled runs not started because the previous run of the same check was still going (or waiting for a --checks.max-concurrency slot).',
    '# TYPE uptime_check_skipped_total counter',
    `uptime_check_skipped_total{${ping}} 0`,
    `uptime_check_skipped_total{${api}} 0`,
    '# HELP uptime_check_tls_cert_expiry_timestamp_seconds Earliest NotAfter of the certificate chain presented at the last TLS handshake of the check, in Unix seconds.',
    '# TYPE uptime_check_tls_cert_expiry_timestamp_seconds gauge',
    `uptime_check_tls_cert_expiry_timestamp_seconds{${api}} 1.8e+09`,
    '# HELP uptime_check_up Whether the last completed check succeeded (1) or failed (0); absent until the first check completes.',
    '# TYPE uptime_check_up gauge',
    `uptime_check_up{${ping}} 0`,
    `uptime_check_up{${api}} 1`,
    '# HELP uptime_checks_success_total Scheduled uptime checks that succeeded.',
    '# TYPE uptime_checks_success_total counter',
    `uptime_checks_success_total{${ping}} 0`,
    `uptime_checks_success_total{${api}} 1`,
    '# HELP uptime_checks_total Scheduled uptime checks completed, successful or not.',
    '# TYPE uptime_checks_total counter',
    `uptime_checks_total{${ping}} 1`,
    `uptime_checks_total{${api}} 1`,
    '',
  ];
  t.deepEqual(text.split('\n'), expected);
  await h.collector.close?.();
});

test('a scrape answers at once while a check hangs, and shows the counters so far', async (t) => {
  const h = harness(storeOf(`checks:\n  - {protocol: http, target: "http://127.0.0.1:9/hang", interval: 10s, timeout: 8s}\n`), [], [0]);
  await h.clock.advance(0);
  t.is(h.probers.pending().length, 1, 'the check is in flight and not answering');
  const started = performance.now();
  const text = await h.scrape();
  t.true(performance.now() - started < 50, 'the scrape does not wait for the check');
  t.is(valueOf(text, 'uptime_checks_total{name="",protocol="http",target="http://127.0.0.1:9/hang"}'), 0);
  t.false(text.includes('uptime_check_up'));
  await h.clock.advance(8000);
  const after = await h.scrape();
  t.is(valueOf(after, 'uptime_check_failures_total{name="",protocol="http",reason="timeout",target="http://127.0.0.1:9/hang"}'), 1);
  t.is(valueOf(after, 'uptime_check_up{name="",protocol="http",target="http://127.0.0.1:9/hang"}'), 0);
  t.is(valueOf(after, 'uptime_check_http_status_code{name="",protocol="http",target="http://127.0.0.1:9/hang"}'), 0, 'no response: status 0');
  await h.collector.close?.();
});

test('a config reload keeps the counters of unchanged checks and drops removed ones from the output', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'uptime-reload-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.yml');
  await writeFile(
    file,
    `checks:
  - {protocol: http, target: "http://127.0.0.1:9/keep", interval: 10s}
  - {protocol: http, target: "http://127.0.0.1:9/gone", interval: 10s}
`,
  );
  const store = await ConfigStore.open(file, new HostFs());
  const h = harness(store, [], [0, 0, 0]);
  h.probers.autoResult = () => result();
  await h.clock.advance(20_000);
  const keep = 'uptime_checks_total{name="",protocol="http",target="http://127.0.0.1:9/keep"}';
  t.is(valueOf(await h.scrape(), keep), 3);
  await writeFile(
    file,
    `checks:
  - {protocol: http, target: "http://127.0.0.1:9/keep", interval: 10s}
  - {protocol: icmp, target: "::1", ip_protocol: ip6, interval: 10s}
`,
  );
  await store.reload();
  const text = await h.scrape();
  t.is(valueOf(text, keep), 3);
  t.false(text.includes('/gone'), 'the removed check left the output');
  t.is(valueOf(text, 'uptime_checks_total{name="",protocol="icmp",target="::1"}'), 0);
  t.true(h.logs.some((l) => l.includes('uptime checks reloaded') && l.includes('added=1') && l.includes('removed=1') && l.includes('unchanged=1')));
  // An invalid file keeps everything as it was.
  await writeFile(file, 'checks:\n  - {protocol: ftp, target: x}\n');
  await t.throwsAsync(store.reload());
  t.is(valueOf(await h.scrape(), keep), 3);
  await h.clock.advance(10_000);
  t.is(valueOf(await h.scrape(), keep), 4, 'the schedule went on');
  await h.collector.close?.();
});

test('close() stops the checks; a later reload does not restart them', async (t) => {
  const h = harness(storeOf(TWO_CHECKS), [], [0, 0]);
  await h.clock.advance(0);
  t.is(h.probers.runs.length, 2);
  await h.collector.close?.();
  t.true(h.probers.runs.every((r) => r.signal.aborted));
  await h.clock.advance(60_000);
  t.is(h.probers.runs.length, 2);
  t.is(h.clock.pendingTimers, 0);
  t.is(await h.scrape(), '');
});
