import test from 'ava';
import { probeFlags, probeRoutesFromFlags, probeTimeoutSeconds } from '../../../src/server/probe-routes.js';
import { parseFlags } from '../../../src/cli/flags.js';
import { targetPolicyFromFlags } from '../../../src/probe/target-policy.js';
import { byName, parseExposition } from '../../helpers/exposition-parse.js';
import { get, type ProbeApp, probePath, startProbeApp, startProbeAppWith } from '../../helpers/probe-app.js';
import { type LocalTargets, startTargets } from '../../helpers/targets.js';

const CONFIG = `
modules:
  http_2xx:
    prober: http
    http:
      preferred_ip_protocol: ip4
  http_short:
    prober: http
    timeout: 1s
    http:
      preferred_ip_protocol: ip4
  http_pinned_host:
    prober: http
    http:
      preferred_ip_protocol: ip4
      headers:
        Host: pinned.example
  http_body:
    prober: http
    http:
      preferred_ip_protocol: ip4
      fail_if_body_not_matches_regexp: ["hel+o"]
  icmp:
    prober: icmp
    icmp:
      preferred_ip_protocol: ip4
`;

let targets: LocalTargets;
let app: ProbeApp;
test.before(async () => {
  targets = await startTargets();
  app = await startProbeApp(CONFIG);
});
test.after.always(async () => {
  await app?.close();
  await targets?.close();
});

function metrics(text: string) {
  return byName(parseExposition(text));
}

function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = metrics(text).get(name);
  return family?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const HTTP_FAMILIES: Record<string, [string, string]> = {
  probe_success: ['gauge', 'Displays whether or not the probe was a success'],
  probe_duration_seconds: ['gauge', 'Returns how long the probe took to complete in seconds'],
  probe_timeout_seconds: ['gauge', 'Returns how long the probe timeout is in seconds'],
  probe_dns_lookup_time_seconds: ['gauge', 'Returns the time taken for probe dns lookup in seconds'],
  probe_ip_protocol: ['gauge', 'Specifies whether probe ip protocol is IP4 or IP6'],
  probe_ip_addr_hash: ['gauge', "Specifies the hash of IP address. It's useful to detect if the IP address changes."],
  probe_http_duration_seconds: ['gauge', 'Duration of http request by phase, summed over all redirects'],
  probe_http_content_length: ['gauge', 'Length of http content response'],
  probe_http_uncompressed_body_length: ['gauge', 'Length of uncompressed response body'],
  probe_http_redirects: ['gauge', 'The number of redirects'],
  probe_http_ssl: ['gauge', 'Indicates if SSL was used for the final redirect'],
  probe_http_status_code: ['gauge', 'Response HTTP status code'],
  probe_http_version: ['gauge', 'Returns the version of HTTP of the probe response'],
  probe_failed_due_to_regex: ['gauge', 'Indicates if probe failed due to regex'],
};

test('an http probe answers the probe_* families with blackbox names, types and HELP', async (t) => {
  const answer = await get(app.port, probePath({ target: `${targets.http}/ok`, module: 'http_2xx' }));
  t.is(answer.status, 200);
  t.regex(answer.contentType, /^text\/plain; version=0\.0\.4/);
  const families = metrics(answer.text);
  t.deepEqual([...families.keys()].sort(), Object.keys(HTTP_FAMILIES).sort());
  for (const [name, [type, help]] of Object.entries(HTTP_FAMILIES)) {
    t.is(families.get(name)?.type, type, name);
    t.is(families.get(name)?.help, help, name);
  }
  t.is(value(answer.text, 'probe_success'), 1);
  t.is(value(answer.text, 'probe_http_status_code'), 200);
  t.is(value(answer.text, 'probe_ip_protocol'), 4);
  // FNV-32a of 127.0.0.1, as blackbox_exporter reports it.
  t.is(value(answer.text, 'probe_ip_addr_hash'), 3668918509);
  t.is(value(answer.text, 'probe_timeout_seconds'), 119.5);
  t.is(value(answer.text, 'probe_http_content_length'), 11);
  t.deepEqual(families.get('probe_http_duration_seconds')?.samples.map((s) => s.labels['phase']), ['connect', 'processing', 'resolve', 'tls', 'transfer']);
});

test('module defaults to http_2xx', async (t) => {
  const answer = await get(app.port, probePath({ target: `${targets.http}/status/500` }));
  t.is(answer.status, 200);
  t.is(value(answer.text, 'probe_success'), 0);
  t.is(value(answer.text, 'probe_http_status_code'), 500);
});

test('an https probe adds the TLS families', async (t) => {
  const insecure = await startProbeApp('modules: {tls: {prober: http, http: {preferred_ip_protocol: ip4, tls_config: {insecure_skip_verify: true}}}}');
  try {
    const answer = await get(insecure.port, probePath({ target: `${targets.https}/ok`, module: 'tls' }));
    t.is(value(answer.text, 'probe_success'), 1);
    t.is(value(answer.text, 'probe_http_ssl'), 1);
    t.is(value(answer.text, 'probe_ssl_earliest_cert_expiry'), targets.certNotAfter);
    t.is(value(answer.text, 'probe_tls_version_info', { version: 'TLS 1.3' }), 1);
    const families = metrics(answer.text);
    t.is(families.get('probe_ssl_earliest_cert_expiry')?.help, 'Returns last SSL chain expiry in unixtime');
    t.is(families.get('probe_tls_version_info')?.help, 'Returns the TLS version used or NaN when unknown');
  } finally {
    await insecure.close();
  }
});

test('an icmp probe answers probe_icmp_duration_seconds and the hop limit', async (t) => {
  const answer = await get(app.port, probePath({ target: '127.0.0.1', module: 'icmp' }));
  t.is(answer.status, 200);
  t.is(value(answer.text, 'probe_success'), 1);
  const families = metrics(answer.text);
  t.deepEqual(families.get('probe_icmp_duration_seconds')?.samples.map((s) => s.labels['phase']), ['resolve', 'rtt', 'setup']);
  t.is(families.get('probe_icmp_duration_seconds')?.help, 'Duration of icmp request by phase');
  t.is(value(answer.text, 'probe_icmp_reply_hop_limit'), 64);
  t.is(families.get('probe_icmp_reply_hop_limit')?.help, 'Replied packet hop limit (TTL for ipv4)');
  t.false(families.has('probe_http_status_code'));
});

test('bad requests: 400 with blackbox wording, one line', async (t) => {
  const cases: [Record<string, string> | string, string][] = [
    [{ target: '127.0.0.1', module: 'nope' }, 'Unknown module "nope"'],
    [{ target: '127.0.0.1', module: '__proto__' }, 'Unknown module "__proto__"'],
    [{ target: '127.0.0.1', module: 'constructor' }, 'Unknown module "constructor"'],
    [{ module: 'icmp' }, 'Target parameter is missing'],
    [{ module: 'icmp', target: '' }, 'Target parameter is missing'],
    ['/probe?module=icmp&target=a&target=b', 'Parameter target is repeated'],
    ['/probe?module=icmp&module=http_2xx&target=a', 'Parameter module is repeated'],
    [{ module: 'icmp', target: 'x'.repeat(5000) }, 'Target parameter is longer than 4096 characters'],
    [{ module: 'http_pinned_host', target: `${targets.http}/ok`, hostname: 'other.example' }, "host header defined both in module configuration (pinned.example) and with URL-parameter 'hostname' (other.example)"],
  ];
  for (const [params, message] of cases) {
    const answer = await get(app.port, typeof params === 'string' ? params : probePath(params));
    t.is(answer.status, 400, message);
    t.is(answer.text, `${message}\n`);
  }
  const unknownDefault = await startProbeApp('modules: {icmp: {prober: icmp}}');
  try {
    const answer = await get(unknownDefault.port, probePath({ target: '127.0.0.1' }));
    t.is(answer.status, 400);
    t.is(answer.text, 'Unknown module "http_2xx"\n');
  } finally {
    await unknownDefault.close();
  }
});

test('a bad scrape timeout header is a 400, not blackbox\'s 500', async (t) => {
  for (const header of ['abc', '-1', 'Inf', 'NaN', '1e400']) {
    const answer = await get(app.port, probePath({ target: '127.0.0.1', module: 'icmp' }), { 'X-Prometheus-Scrape-Timeout-Seconds': header });
    t.is(answer.status, 400, header);
    t.regex(answer.text, /^Failed to parse timeout from Prometheus header: .*\n$/);
  }
});

test('hostile targets are probe failures, never errors', async (t) => {
  for (const [module, target] of [
    ['http_2xx', 'http://%zz'],
    ['http_2xx', 'http://['],
    ['http_2xx', 'javascript:alert(1)'],
    ['http_2xx', `http://${'a.'.repeat(200)}invalid/`],
    ['http_2xx', '\u0000\u0001'],
    ['icmp', '-c 1000 127.0.0.1'],
    ['icmp', '-f'],
    ['icmp', '127.0.0.1; reboot'],
    ['icmp', 'ä'.repeat(300)],
    ['icmp', 'bad_label-.example'],
  ] as const) {
    const answer = await get(app.port, probePath({ target, module }));
    t.is(answer.status, 200, target);
    t.is(value(answer.text, 'probe_success'), 0, target);
    t.true(answer.ms < 5000, target);
  }
});

test('the hostname parameter sets the Host header', async (t) => {
  const answer = await get(app.port, probePath({ target: `${targets.http}/echo?hostname-test`, module: 'http_2xx', hostname: 'vhost.example' }));
  t.is(value(answer.text, 'probe_success'), 1);
  t.is(targets.requests.find((r) => r.url === '/echo?hostname-test')?.headers['host'], 'vhost.example');
  // The same host as the module's is fine.
  const same = await get(app.port, probePath({ target: `${targets.http}/ok`, module: 'http_pinned_host', hostname: 'pinned.example' }));
  t.is(same.status, 200);
});

test('the scrape timeout header less 0.5s bounds the probe', async (t) => {
  const answer = await get(app.port, probePath({ target: `${targets.hang}/`, module: 'http_2xx' }), { 'X-Prometheus-Scrape-Timeout-Seconds': '1' });
  t.is(answer.status, 200);
  t.is(value(answer.text, 'probe_success'), 0);
  t.is(value(answer.text, 'probe_timeout_seconds'), 0.5);
  const duration = value(answer.text, 'probe_duration_seconds') ?? 0;
  t.true(duration >= 0.45 && duration < 3, `${duration}`);
  t.true(answer.ms < 4000);
});

test('a module timeout shorter than the scrape timeout wins', async (t) => {
  const answer = await get(app.port, probePath({ target: `${targets.http}/slow/3000`, module: 'http_short' }), { 'X-Prometheus-Scrape-Timeout-Seconds': '10' });
  t.is(value(answer.text, 'probe_timeout_seconds'), 1);
  t.is(value(answer.text, 'probe_success'), 0);
  t.true(answer.ms < 5000);
});

test('timeout arithmetic is blackbox getTimeout', (t) => {
  t.is(probeTimeoutSeconds(undefined, 0), 119.5);
  t.is(probeTimeoutSeconds('0', 0), 119.5);
  t.is(probeTimeoutSeconds('10', 0), 9.5);
  t.is(probeTimeoutSeconds('10', 2000), 2);
  t.is(probeTimeoutSeconds('10', 20_000), 9.5);
  t.is(probeTimeoutSeconds('0.3', 1000), 1);
  // blackbox would use 0 here and fail at once; the scrape timeout is the sensible budget.
  t.is(probeTimeoutSeconds('0.3', 0), 0.3);
  t.is(probeTimeoutSeconds('2.5e1', 0), 24.5);
  t.throws(() => probeTimeoutSeconds('soon', 0));
  // At most an hour: past 2^31-1 ms Node's timers fire after 1 ms.
  t.is(probeTimeoutSeconds('3000000', 0), 3600);
  t.is(probeTimeoutSeconds('1e10', 20_000), 20);
  t.is(probeTimeoutSeconds('1e10', 0), 3600);
  t.is(probeTimeoutSeconds('0.3', 1e10), 3600);
  // A header as long as Node allows is refused at once (the old pattern backtracked for 0.6 s).
  const started = performance.now();
  t.throws(() => probeTimeoutSeconds(`${'1'.repeat(16_000)}x`, 0), { message: /Failed to parse timeout/ });
  t.true(performance.now() - started < 100);
});

test('a huge scrape timeout header is cut to an hour, not overflowed into an instant timeout', async (t) => {
  for (const header of ['3000000', '1e10']) {
    for (const [module, target] of [['http_2xx', `${targets.http}/ok`], ['icmp', '127.0.0.1']] as const) {
      const answer = await get(app.port, probePath({ target, module }), { 'X-Prometheus-Scrape-Timeout-Seconds': header });
      t.is(answer.status, 200, `${module} ${header}`);
      t.is(value(answer.text, 'probe_success'), 1, `${module} ${header}`);
      t.is(value(answer.text, 'probe_timeout_seconds'), 3600, `${module} ${header}`);
    }
  }
});

test('debug=true gives the log, the metrics and the module, as blackbox does', async (t) => {
  const answer = await get(app.port, probePath({ target: `${targets.http}/ok`, module: 'http_body', debug: 'true' }));
  t.is(answer.status, 200);
  t.regex(answer.contentType, /^text\/plain/);
  const [logs, rest] = answer.text.split('\n\n\n\nMetrics that would have been returned:\n');
  t.truthy(rest);
  t.true(logs?.startsWith('Logs for the probe:\n'));
  for (const msg of ['Beginning probe', 'Resolving target address', 'Making HTTP request', 'Received HTTP response', 'Probe succeeded']) {
    t.true(logs?.includes(`msg="${msg}"`), msg);
  }
  t.true(logs?.includes('module=http_body'));
  const [metricsText, moduleText] = (rest ?? '').split('\n\n\nModule configuration:\n');
  t.is(value(metricsText ?? '', 'probe_success'), 1);
  t.regex(moduleText ?? '', /^prober: http\ntimeout: 0s\nhttp:\n/);
  t.regex(moduleText ?? '', /fail_if_body_not_matches_regexp:\n\s+- hel\+o\n/);
});

test('OpenMetrics when asked for', async (t) => {
  const answer = await get(app.port, probePath({ target: `${targets.http}/ok` }), { Accept: 'application/openmetrics-text; version=1.0.0' });
  t.regex(answer.contentType, /^application\/openmetrics-text/);
  t.true(answer.text.endsWith('# EOF\n'));
});

test('a scraper that hangs up stops the probe', async (t) => {
  const answer = await get(app.port, probePath({ target: `${targets.hang}/hangup`, module: 'http_2xx' }), {}, 300);
  t.is(answer.status, 0);
  // The probe's connection to the hanging target is closed soon after, not at its 119.5 s deadline.
  let open = targets.openHangingConnections();
  for (let i = 0; i < 150 && open > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    open = targets.openHangingConnections();
  }
  t.is(open, 0);
});

test('--probe.allowed-targets: only full matches may be probed, others get 403', async (t) => {
  const flags = parseFlags(probeFlags, ['--probe.allowed-targets', 'http://127\\.0\\.0\\.1:\\d+/ok']);
  const guarded = await startProbeApp(CONFIG, { policy: targetPolicyFromFlags(flags) });
  try {
    const ok = await get(guarded.port, probePath({ target: `${targets.http}/ok` }));
    t.is(ok.status, 200);
    t.is(value(ok.text, 'probe_success'), 1);
    for (const target of [`${targets.http}/okay`, `${targets.http}/status/500`, '10.0.0.1', `x${targets.http}/ok`]) {
      const denied = await get(guarded.port, probePath({ target }));
      t.is(denied.status, 403, target);
      t.regex(denied.text, /^Target ".*" is not allowed by --probe\.allowed-targets\n$/);
    }
  } finally {
    await guarded.close();
  }
});

test('routes built from the flags: --probe.denied-networks refuses a /probe of a denied address with the policy\'s message', async (t) => {
  const routes = probeRoutesFromFlags(parseFlags(probeFlags, ['--probe.denied-networks=127.0.0.0/8']));
  const denying = await startProbeAppWith(CONFIG, routes);
  try {
    const answer = await get(denying.port, probePath({ target: `${targets.http}/ok`, debug: 'true' }));
    t.is(answer.status, 200);
    t.regex(answer.text, /msg="Target address not allowed" .*err="address 127\.0\.0\.1 is in 127\.0\.0\.0\/8, denied by --probe\.denied-networks"/);
    t.regex(answer.text, /^probe_success 0$/m);
  } finally {
    await denying.close();
  }
});

test("debug=true shows the module's own prober section (tcp here, not icmp's)", async (t) => {
  const tcpApp = await startProbeApp('modules: {tcp_connect: {prober: tcp, tcp: {preferred_ip_protocol: ip4, query_response: [{send: QUIT}]}}}');
  try {
    const answer = await get(tcpApp.port, probePath({ target: '127.0.0.1:1', module: 'tcp_connect', debug: 'true' }));
    const moduleText = answer.text.split('\n\n\nModule configuration:\n')[1] ?? '';
    t.regex(moduleText, /^prober: tcp\ntimeout: 0s\ntcp:\n/);
    t.regex(moduleText, /send: QUIT/);
    t.notRegex(moduleText, /icmp:/);
  } finally {
    await tcpApp.close();
  }
});
