import test from 'ava';
import { parseConfig } from '../../../src/config/load.js';
import { writeText } from '../../../src/exposition/text.js';
import { httpOptionsFromCheck, httpOptionsFromModule, icmpOptionsFromCheck, icmpOptionsFromModule, type HttpCheckConfig, type IcmpCheckConfig } from '../../../src/probe/options.js';
import { probeMetricFamilies } from '../../../src/probe/probe-metrics.js';
import { probeHttp } from '../../../src/probe/http/prober.js';
import { probeIcmp } from '../../../src/probe/icmp.js';
import { probeDns } from '../../../src/probe/dns.js';
import { probeTcp } from '../../../src/probe/tcp.js';
import { PROBERS } from '../../../src/probe/probers.js';
import type { ProbeResult } from '../../../src/probe/types.js';

const CONFIG = parseConfig(
  `
checks:
  - protocol: http
    target: https://example.test/health
    interval: 10s
    method: POST
    headers: {X-Token: abc}
    valid_status_codes: [200, 204]
    follow_redirects: false
    fail_if_body_matches_regexp: ["error"]
    fail_if_body_not_matches_regexp: ["(?P<state>ok)"]
    tls_insecure_skip_verify: true
  - protocol: http
    target: http://plain.test/
  - protocol: icmp
    target: 192.0.2.1
    interval: 5s
    count: 3
    ip_protocol: ip6
modules:
  full:
    prober: http
    timeout: 5s
    http:
      method: HEAD
      body: ping
      valid_status_codes: [301]
      valid_http_versions: [HTTP/1.1]
      follow_redirects: false
      fail_if_ssl: true
      fail_if_header_matches: [{header: Server, regexp: "^nginx", allow_missing: true}]
      fail_if_header_not_matches: [{header: Content-Type, regexp: "json"}]
      tls_config: {insecure_skip_verify: true, server_name: sni.test}
      preferred_ip_protocol: ip4
      ip_protocol_fallback: false
  bare:
    prober: http
  ping:
    prober: icmp
    icmp: {payload_size: 100, dont_fragment: true, ttl: 10}
`,
  'options-test.yml',
);

test('the probers table: each protocol builds its options from a check and a module, and loads its prober', async (t) => {
  const [httpCheck, , icmpCheck] = CONFIG.checks as [HttpCheckConfig, HttpCheckConfig, IcmpCheckConfig];
  t.deepEqual(PROBERS.http.fromCheck(httpCheck), httpOptionsFromCheck(httpCheck));
  t.deepEqual(PROBERS.icmp.fromCheck(icmpCheck), icmpOptionsFromCheck(icmpCheck));
  const full = CONFIG.modules['full']!;
  const ping = CONFIG.modules['ping']!;
  t.deepEqual(PROBERS.http.fromModule(full, 4.5), httpOptionsFromModule(full.http));
  t.deepEqual(PROBERS.icmp.fromModule(ping, 4.5), icmpOptionsFromModule(ping.icmp, 4.5));
  t.is(await PROBERS.http.load(), probeHttp);
  t.is(await PROBERS.icmp.load(), probeIcmp);
  t.is(await PROBERS.tcp.load(), probeTcp);
  t.is(await PROBERS.dns.load(), probeDns);
  t.deepEqual(Object.keys(PROBERS), ['http', 'icmp', 'tcp', 'dns']);
});

test('an http check: its options, with the check defaults for the rest', (t) => {
  const o = httpOptionsFromCheck(CONFIG.checks[0] as HttpCheckConfig);
  t.is(o.method, 'POST');
  t.deepEqual(o.headers, { 'X-Token': 'abc' });
  t.deepEqual(o.validStatusCodes, [200, 204]);
  t.false(o.followRedirects);
  t.deepEqual(o.failIfBodyMatches.map((r) => r.source), ['error']);
  // RE2's (?P<name>) is accepted.
  t.is(o.failIfBodyNotMatches[0]?.namedMatches('all ok')?.get('state'), 'ok');
  t.true(o.insecureSkipVerify);
  t.is(o.preferredIpProtocol, 'ip4');
  t.true(o.ipProtocolFallback);

  const plain = httpOptionsFromCheck(CONFIG.checks[1] as HttpCheckConfig);
  t.is(plain.method, 'GET');
  t.deepEqual(plain.validStatusCodes, []);
  t.true(plain.followRedirects);
  t.false(plain.insecureSkipVerify);
});

test('an icmp check: count, family and the timeout budget for ping', (t) => {
  t.deepEqual(icmpOptionsFromCheck(CONFIG.checks[2] as IcmpCheckConfig), {
    preferredIpProtocol: 'ip6',
    ipProtocolFallback: true,
    count: 3,
    dontFragment: false,
    timeoutSeconds: 4,
  });
});

test('a blackbox http module: every option carried over', (t) => {
  const o = httpOptionsFromModule(CONFIG.modules['full']!.http);
  t.is(o.method, 'HEAD');
  t.is(o.body, 'ping');
  t.deepEqual(o.validStatusCodes, [301]);
  t.deepEqual(o.validHttpVersions, ['HTTP/1.1']);
  t.false(o.followRedirects);
  t.true(o.failIfSsl);
  t.false(o.failIfNotSsl);
  t.deepEqual(o.failIfHeaderMatches.map((m) => [m.header, m.regexp.source, m.allowMissing]), [['Server', '^nginx', true]]);
  t.deepEqual(o.failIfHeaderNotMatches.map((m) => [m.header, m.regexp.source, m.allowMissing]), [['Content-Type', 'json', false]]);
  t.true(o.insecureSkipVerify);
  t.is(o.serverName, 'sni.test');
  t.is(o.preferredIpProtocol, 'ip4');
  t.false(o.ipProtocolFallback);
});

test("a bare blackbox module keeps blackbox's defaults (ip6 preferred, fallback, redirects followed)", (t) => {
  const o = httpOptionsFromModule(CONFIG.modules['bare']!.http);
  t.is(o.method, 'GET');
  t.is(o.preferredIpProtocol, 'ip6');
  t.true(o.ipProtocolFallback);
  t.true(o.followRedirects);
  t.is(o.body, undefined);
  t.is(o.serverName, undefined);
});

test('a blackbox icmp module: one echo request, payload, DF, TTL and the request timeout', (t) => {
  t.deepEqual(icmpOptionsFromModule(CONFIG.modules['ping']!.icmp, 9.5), {
    preferredIpProtocol: 'ip6',
    ipProtocolFallback: true,
    count: 1,
    payloadSize: 100,
    dontFragment: true,
    ttl: 10,
    timeoutSeconds: 9.5,
  });
});

test('probe metrics: a failed http probe before any response', (t) => {
  const result: ProbeResult = {
    success: false,
    reason: 'connect',
    durationSeconds: 0.25,
    ipProtocol: 6,
    dnsLookupSeconds: 0.001,
    ipAddress: '::1',
    http: {
      statusCode: 0,
      phases: { resolve: 0.001, connect: 0, tls: 0, processing: 0, transfer: 0 },
      contentLength: 0,
      uncompressedBodyLength: 0,
      redirects: 0,
      ssl: false,
      httpVersion: 0,
      failedDueToRegex: false,
    },
  };
  const text = writeText(probeMetricFamilies(result, 4.5));
  t.true(text.includes('probe_success 0\n'));
  t.true(text.includes('probe_timeout_seconds 4.5\n'));
  t.true(text.includes('probe_ip_protocol 6\n'));
  t.true(text.includes('probe_http_duration_seconds{phase="resolve"} 0.001\n'));
  t.false(text.includes('probe_ssl_earliest_cert_expiry'));
  t.false(text.includes('probe_icmp'));
});

test('probe metrics: TLS families only over TLS; no timeout family without a timeout', (t) => {
  const result: ProbeResult = {
    success: true,
    durationSeconds: 0.1,
    ipProtocol: 4,
    dnsLookupSeconds: 0,
    ipAddress: '127.0.0.1',
    http: {
      statusCode: 200,
      phases: { resolve: 0, connect: 0.01, tls: 0.02, processing: 0.03, transfer: 0.001 },
      contentLength: 5,
      uncompressedBodyLength: 5,
      redirects: 0,
      ssl: true,
      httpVersion: 1.1,
      certExpiryTimestamp: 1_900_000_000,
      lastChainExpiryTimestamp: 1_900_000_000,
      tlsVersion: 'TLS 1.2',
      failedDueToRegex: false,
    },
  };
  const text = writeText(probeMetricFamilies(result));
  t.true(text.includes('probe_ssl_earliest_cert_expiry 1.9e+09\n'));
  t.true(text.includes('probe_ssl_last_chain_expiry_timestamp_seconds 1.9e+09\n'));
  t.true(text.includes('probe_tls_version_info{version="TLS 1.2"} 1\n'));
  t.true(text.includes('probe_ip_addr_hash 3.668918509e+09\n'));
  t.false(text.includes('probe_timeout_seconds'));
});
